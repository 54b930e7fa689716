<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/event-update_totp.ftl) plus our signature naming the portal. -->
<#include "gerbang-event-time.ftl">
${msg("eventUpdateTotpBody",eventTime, event.ipAddress)}
<#include "gerbang-signature.ftl">
