<#-- Gerbang: as text/event-update_credential.ftl, name the credential in words (password
     changes arrive as UPDATE_CREDENTIAL in Keycloak 26). Layout from html/template.ftl. -->
<#import "template.ftl" as layout>
<#include "gerbang-event-time.ftl">
<#assign ct = event.getDetail("credential_type")!"">
<#assign ctName = (ct == "password")?then(msg("gerbangCredentialPassword"), (ct == "otp")?then(msg("gerbangCredentialOtp"), ct?has_content?then(ct, msg("gerbangCredentialOther"))))>
<@layout.emailLayout>
${kcSanitize(msg("eventUpdateCredentialBodyHtml", ctName, eventTime, event.ipAddress))?no_esc}
</@layout.emailLayout>
