<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/executeActions.ftl), the username the account logs in
     with (OSS O5 mails it), and our signature naming the portal. -->
<#assign requiredActionsText><#if requiredActions??><#list requiredActions><#items as reqActionItem>${msg("requiredAction.${reqActionItem}")}<#sep>, </#items></#list><#else></#if></#assign>

${msg("executeActionsBody",link, linkExpiration, realmName, requiredActionsText, linkExpirationFormatter(linkExpiration))}

${msg("gerbangUsernameLine", user.username)}
<#include "gerbang-signature.ftl">
