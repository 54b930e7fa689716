<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/email-verification.ftl) plus our signature naming the portal. -->
${msg("emailVerificationBody",link, linkExpiration, realmName, linkExpirationFormatter(linkExpiration))}
<#include "gerbang-signature.ftl">
