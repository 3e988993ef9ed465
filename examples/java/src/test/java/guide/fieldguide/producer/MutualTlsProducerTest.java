package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;

import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The mutual TLS settings the security page shows are kafkalab's client.properties, and they write. */
@Timeout(120)
class MutualTlsProducerTest {

    @Test
    void theShownSettingsAreKafkalabsClientPropertiesAndTheyWrite() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("MTLS");
        Properties file = cluster.clientProperties();
        Properties shown = MutualTlsProducer.security(file.getProperty("ssl.truststore.location"),
                file.getProperty("ssl.keystore.location"));
        cluster.assertShownSettingsWrite(shown, "mtls");
    }

    @Test
    void noClientCertificateIsRefusedAtOnce() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("MTLS");
        String topic = cluster.newTopic("mtls-no-certificate");
        Properties serverOnly = TlsProducer.security(cluster.clientProperties().getProperty("ssl.truststore.location"));
        SecuredCluster.Refusal refusal = cluster.refusedWrite(serverOnly, topic);
        assertInstanceOf(SslAuthenticationException.class, refusal.error());
        assertTrue(refusal.took().compareTo(TlsProducerTest.AT_ONCE) < 0, refusal.took().toString());
    }
}
