<#-- Gerbang: stock body (base/email/html/executeActions.ftl) plus the username the account logs
     in with (OSS O5 mails it; every portal benefits). Layout from html/template.ftl. -->
<#import "template.ftl" as layout>
<#assign requiredActionsText><#if requiredActions??><#list requiredActions><#items as reqActionItem>${msg("requiredAction.${reqActionItem}")}<#sep>, </#items></#list></#if></#assign>
<@layout.emailLayout>
${kcSanitize(msg("executeActionsBodyHtml",link, linkExpiration, realmName, requiredActionsText, linkExpirationFormatter(linkExpiration)))?no_esc}
<p id="gerbang-username">${kcSanitize(msg("gerbangUsernameLineHtml", user.username))?no_esc}</p>
</@layout.emailLayout>
