<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/event-remove_totp.ftl) plus our signature naming the portal. -->
${msg("eventRemoveTotpBody",event.date, event.ipAddress)}
<#include "gerbang-signature.ftl">
