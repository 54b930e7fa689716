<#-- X9: a new password (and any other credential set on Keycloak's pages: an OTP device, an
     email) signs out every other device of the account. keycloak.v2 offers this as a checkbox
     that starts unticked, so a reset by email left a thief's session alive, and with it the
     sidecar's logins that follow it. Always on here; the page says so. -->
<#macro logoutOtherSessions>
    <input type="hidden" name="logout-sessions" value="on">
    <p id="gb-logout-others" class="${properties.kcFormHelperTextClass!} gb-help">${msg("gerbangLogoutOtherSessions")}</p>
</#macro>
