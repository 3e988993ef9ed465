package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The lab OAUTHBEARER settings the security page shows are kafkalab's client.properties, and they write. */
@Timeout(120)
class OAuthBearerProducerTest {

    @Test
    void theShownSettingsAreKafkalabsClientPropertiesAndTheyWrite() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("OAUTHBEARER");
        Properties file = cluster.clientProperties();
        Properties shown = OAuthBearerProducer.security(file.getProperty("ssl.truststore.location"), "admin");
        cluster.assertShownSettingsWrite(shown, "oauthbearer");
    }

    @Test
    void noJaasLoginIsRefusedByTheConstructor() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("OAUTHBEARER");
        Properties noLogin = cluster.clientProperties();
        noLogin.remove("sasl.jaas.config");
        SecuredCluster.Refusal refusal = cluster.refusedWrite(noLogin, cluster.newTopic("oauth-no-login"));
        String causes = refusal.causes();
        assertTrue(causes.contains("Failed to construct kafka producer"), causes);
        assertTrue(causes.contains("Could not find a 'KafkaClient' entry in the JAAS configuration"), causes);
        assertTrue(refusal.took().compareTo(TlsProducerTest.AT_ONCE) < 0, refusal.took().toString());
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("OAUTHBEARER");
        Properties expired = cluster.clientProperties();
        expired.put("sasl.login.callback.handler.class", ExpiredTokenLogin.class.getName());
        SecuredCluster.Refusal refusal = cluster.refusedWrite(expired, cluster.newTopic("oauth-expired"));
        String causes = refusal.causes();
        assertTrue(causes.contains("invalid_token"), causes);
        assertTrue(refusal.took().compareTo(TlsProducerTest.AT_ONCE) < 0, refusal.took().toString());
    }
}
