<#ftl output_format="plainText">
<#-- Gerbang: Keycloak 26 reports a password change as UPDATE_CREDENTIAL (credential_type
     "password"), so this is the C4/B7 notification. Name the credential in words instead of
     its type id, then add our signature naming the portal. -->
<#include "gerbang-event-time.ftl">
<#assign ct = event.getDetail("credential_type")!"">
<#assign ctName = (ct == "password")?then(msg("gerbangCredentialPassword"), (ct == "otp")?then(msg("gerbangCredentialOtp"), ct?has_content?then(ct, msg("gerbangCredentialOther"))))>
${msg("eventUpdateCredentialBody", ctName, eventTime, event.ipAddress)}
<#include "gerbang-signature.ftl">
