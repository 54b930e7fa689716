<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/event-update_password.ftl) plus our signature naming the portal. -->
${msg("eventUpdatePasswordBody",event.date, event.ipAddress)}
<#include "gerbang-signature.ftl">
