<#ftl output_format="plainText">
<#-- Gerbang: signature appended to the plain-text bodies (they have no shared layout). -->


--
${msg("gerbangEmailFooter", realmName!'')}
