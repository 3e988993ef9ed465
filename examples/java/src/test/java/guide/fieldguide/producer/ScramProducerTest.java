package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;

import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SCRAM-over-TLS settings the security page shows are kafkalab's client.properties, and they write. */
@Timeout(120)
class ScramProducerTest {

    @Test
    void theShownSettingsAreKafkalabsClientPropertiesAndTheyWrite() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("SCRAM");
        Properties file = cluster.clientProperties();
        Properties shown = ScramProducer.security(file.getProperty("ssl.truststore.location"), "admin",
                SecuredCluster.env("KAFKA_SCRAM_ADMIN_PASSWORD"));
        cluster.assertShownSettingsWrite(shown, "scram");
    }

    @Test
    void aWrongPasswordIsRefusedAtOnce() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("SCRAM");
        String topic = cluster.newTopic("scram-wrong-password");
        Properties file = cluster.clientProperties();
        Properties wrong = ScramProducer.security(file.getProperty("ssl.truststore.location"), "admin", "not-it");
        SecuredCluster.Refusal refusal = cluster.refusedWrite(wrong, topic);
        assertInstanceOf(SaslAuthenticationException.class, refusal.error());
        assertTrue(refusal.error().getMessage().contains("invalid credentials"), refusal.error().getMessage());
        assertTrue(refusal.took().compareTo(TlsProducerTest.AT_ONCE) < 0, refusal.took().toString());
    }
}
