<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/event-update_password.ftl) plus our signature naming the portal. -->
<#include "gerbang-event-time.ftl">
${msg("eventUpdatePasswordBody",eventTime, event.ipAddress)}
<#include "gerbang-signature.ftl">
