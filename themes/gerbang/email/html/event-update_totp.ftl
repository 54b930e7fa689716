<#-- Gerbang: stock body (base/email/html/event-update_totp.ftl) with the time in WIB. -->
<#import "template.ftl" as layout>
<#include "gerbang-event-time.ftl">
<@layout.emailLayout>
${kcSanitize(msg("eventUpdateTotpBodyHtml", eventTime, event.ipAddress))?no_esc}
</@layout.emailLayout>
