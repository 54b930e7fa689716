<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/password-reset.ftl) plus our signature naming the portal. -->
${msg("passwordResetBody",link, linkExpiration, realmName, linkExpirationFormatter(linkExpiration))}
<#include "gerbang-signature.ftl">
