<#-- Gerbang: stock body (base/email/html/executeActions.ftl) plus the username the account logs
     in with (OSS O5 mails it; every portal benefits). Layout from html/template.ftl.
     The actions' names are built as plain text, as in the parent: captured in the HTML output
     format they would reach msg() as markup and print as "markupOutput(...)". The username is
     printed with the template's own escaping, never through a raw *Html message. -->
<#outputformat "plainText">
<#assign requiredActionsText><#if requiredActions??><#list requiredActions><#items as reqActionItem>${msg("requiredAction.${reqActionItem}")}<#sep>, </#sep></#items></#list></#if></#assign>
</#outputformat>
<#import "template.ftl" as layout>
<@layout.emailLayout>
${kcSanitize(msg("executeActionsBodyHtml",link, linkExpiration, realmName, requiredActionsText, linkExpirationFormatter(linkExpiration)))?no_esc}
<p id="gerbang-username">${msg("gerbangUsernameLabel")} <b>${user.username}</b></p>
</@layout.emailLayout>
