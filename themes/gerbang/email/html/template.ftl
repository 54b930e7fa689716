<#--
  Gerbang: branded HTML layout for every email. Stock body templates call this macro, so only
  the frame changes: the portal's name (realm display name) on top, an optional greeting and an
  automatic-mail footer. Inline styles and tables because mail clients ignore stylesheets.
-->
<#macro emailLayout>
<html lang="${locale.language}" dir="${(ltr)?then('ltr','rtl')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body style="margin:0;padding:0;background:#eef2f6;color:#1f2933;font-family:'Segoe UI',Roboto,Arial,sans-serif;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#eef2f6;">
  <tr><td align="center" style="padding:24px 12px;">
    <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
           style="max-width:560px;background:#ffffff;border-top:4px solid #1f4e79;border-radius:8px;">
      <tr><td style="padding:20px 28px 4px;font-size:20px;font-weight:bold;color:#1f4e79;">${realmName!''}</td></tr>
      <tr><td style="padding:8px 28px 12px;font-size:15px;line-height:1.6;">
        <#if (user.firstName)?has_content><p>${msg("gerbangEmailGreeting", user.firstName)}</p></#if>
        <#nested>
      </td></tr>
      <tr><td style="padding:12px 28px 20px;border-top:1px solid #e3e8ee;font-size:12px;line-height:1.5;color:#5b6770;">
        ${msg("gerbangEmailFooter", realmName!'')}
      </td></tr>
    </table>
  </td></tr>
</table>
</body>
</html>
</#macro>
