<#ftl output_format="plainText">
<#-- Gerbang: stock body (base/email/text/executeActions.ftl) plus our signature naming the portal. -->
<#assign requiredActionsText><#if requiredActions??><#list requiredActions><#items as reqActionItem>${msg("requiredAction.${reqActionItem}")}<#sep>, </#items></#list><#else></#if></#assign>

${msg("executeActionsBody",link, linkExpiration, realmName, requiredActionsText, linkExpirationFormatter(linkExpiration))}
<#include "gerbang-signature.ftl">
