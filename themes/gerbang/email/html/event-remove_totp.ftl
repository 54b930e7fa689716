<#-- Gerbang: stock body (base/email/html/event-remove_totp.ftl) with the time in WIB. -->
<#import "template.ftl" as layout>
<#include "gerbang-event-time.ftl">
<@layout.emailLayout>
${kcSanitize(msg("eventRemoveTotpBodyHtml", eventTime, event.ipAddress))?no_esc}
</@layout.emailLayout>
