package guide.fieldguide.producer;


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
}
