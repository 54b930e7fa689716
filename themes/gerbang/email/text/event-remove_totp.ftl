<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/event-remove_totp.ftl) plus our signature naming the portal. -->
<#include "gerbang-event-time.ftl">
${msg("eventRemoveTotpBody",eventTime, event.ipAddress)}
<#include "gerbang-signature.ftl">
