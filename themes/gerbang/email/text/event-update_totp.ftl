<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/event-update_totp.ftl) plus our signature naming the portal. -->
${msg("eventUpdateTotpBody",event.date, event.ipAddress)}
<#include "gerbang-signature.ftl">
