<#-- Gerbang: when the event happened, as every other Gerbang mail and page says it -- in WIB,
     day first. Keycloak formats event.date with the JVM's zone (UTC in our images) and a short
     locale style ("03/12/26 19.49"), a day early for a change made before 07:00 WIB. -->
<#setting time_zone="Asia/Jakarta">
<#assign eventTime = event.date?datetime?string("dd-MM-yyyy HH:mm") + " WIB">
