<#--
  Gerbang: the only login template we override. keycloak.v2's footer.ftl is the documented hook
  for a footer inside the login card and is rendered by template.ftl on every page, so we add:
   * on the login pages, "Daftar" and "Lupa kata sandi?" links to the sidecar's pages for this
     realm (Keycloak's own registration is off in our realms, so the stock link never shows);
     our forgot-password link is left out when the realm turns Keycloak's own reset on, because
     the stock field.ftl then already shows one;
   * on error pages (and whenever the page shows an error), the portal's helpdesk contact (C6).
-->
<#macro content>
<#assign gbSidecar = (properties.gerbangSidecarUrl!'')?remove_ending('/')>
<#assign gbLang = (locale.currentLanguageTag)!''>
<#assign gbQuery = gbLang?has_content?then('?lang=' + gbLang?url('UTF-8'), '')>
<#assign gbRealmPath = gbSidecar + '/' + realm.name?url('UTF-8')>
<#assign gbLoginPages = ['login', 'login-username', 'login-password']>

<#if gbSidecar?has_content && gbLoginPages?seq_contains(pageId!'') && realm.password>
  <div id="gb-login-links" class="gb-links">
    <#if !(realm.registrationAllowed && !registrationDisabled??)>
      <span id="gb-register">${msg("noAccount")} <a href="${gbRealmPath}/daftar${gbQuery}">${msg("doRegister")}</a></span>
    </#if>
    <#if !realm.resetPasswordAllowed>
      <a id="gb-forgot-password" href="${gbRealmPath}/lupa-kata-sandi${gbQuery}">${msg("gerbangForgotPassword")}</a>
    </#if>
  </div>
</#if>

<#if (pageId!'') == 'error' || (message?has_content && message.type == 'error')>
  <div id="gb-helpdesk" class="gb-helpdesk" role="note">
    <p class="gb-helpdesk__lead">${msg("gerbangHelpdeskLead", msg("gerbangHelpdeskName"))}</p>
    <#if properties.gerbangHelpdeskPhone?has_content || properties.gerbangHelpdeskEmail?has_content || properties.gerbangHelpdeskUrl?has_content>
    <ul class="gb-helpdesk__list">
      <#if properties.gerbangHelpdeskPhone?has_content>
        <li>${msg("gerbangHelpdeskPhoneLabel")}: <a href="tel:${properties.gerbangHelpdeskPhone?replace('[^0-9+]', '', 'r')}">${properties.gerbangHelpdeskPhone}</a></li>
      </#if>
      <#if properties.gerbangHelpdeskEmail?has_content>
        <li>${msg("gerbangHelpdeskEmailLabel")}: <a href="mailto:${properties.gerbangHelpdeskEmail}">${properties.gerbangHelpdeskEmail}</a></li>
      </#if>
      <#if properties.gerbangHelpdeskUrl?has_content>
        <li><a href="${properties.gerbangHelpdeskUrl}" rel="noopener">${properties.gerbangHelpdeskUrl?remove_beginning('https://')}</a></li>
      </#if>
    </ul>
    </#if>
  </div>
</#if>
</#macro>
