package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Properties;

import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The TLS settings the security page shows are kafkalab's client.properties, and they write and read back. */
@Timeout(120)
class TlsProducerTest {
    /** Well under max.block.ms (60 s by default), the longest the producer would wait for metadata. */
    static final Duration AT_ONCE = Duration.ofSeconds(20);

    @Test
    void theShownSettingsAreKafkalabsClientPropertiesAndTheyWrite() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("TLS");
        Properties file = cluster.clientProperties();
        Properties shown = TlsProducer.security(file.getProperty("ssl.truststore.location"));
        cluster.assertShownSettingsWrite(shown, "tls");
    }

    @Test
    void aCaThatDidNotSignTheBrokerIsRefusedAtOnce() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("TLS");
        String topic = cluster.newTopic("tls-wrong-ca");
        Properties wrongCa = TlsProducer.security(SecuredCluster.env("KAFKA_WRONG_CA_FILE"));
        SecuredCluster.Refusal refusal = cluster.refusedWrite(wrongCa, topic);
        assertInstanceOf(SslAuthenticationException.class, refusal.error());
        assertTrue(String.valueOf(refusal.error().getCause()).contains("PKIX path building failed"),
                String.valueOf(refusal.error().getCause()));
        assertTrue(refusal.took().compareTo(AT_ONCE) < 0, refusal.took().toString());
    }

    @Test
    void aCertificateForAnotherHostIsRefusedAtOnce() throws Exception {
        SecuredCluster.Refusal refusal = refusedByItsOwnSettings("TLS_WRONG_HOST");
        assertInstanceOf(SslAuthenticationException.class, refusal.error());
        assertTrue(refusal.causes().contains("No subject alternative names matching IP address 127.0.0.1"),
                refusal.causes());
        assertTrue(refusal.took().compareTo(AT_ONCE) < 0, refusal.took().toString());
    }

    @Test
    void anExpiredBrokerCertificateIsRefusedAtOnce() throws Exception {
        SecuredCluster.Refusal refusal = refusedByItsOwnSettings("TLS_EXPIRED");
        assertInstanceOf(SslAuthenticationException.class, refusal.error());
        assertTrue(refusal.causes().contains("CertificateExpiredException"), refusal.causes());
        assertTrue(refusal.took().compareTo(AT_ONCE) < 0, refusal.took().toString());
    }

    /** A broker whose certificate is flawed, written to with its cluster's own (right) client.properties. */
    private static SecuredCluster.Refusal refusedByItsOwnSettings(String mode) throws Exception {
        SecuredCluster cluster = SecuredCluster.of(mode);
        String topic = Topics.uniqueName(mode.toLowerCase().replace('_', '-'));
        return cluster.refusedWrite(cluster.clientProperties(), topic);
    }

    @Test
    void aPlaintextClientOnTheTlsPortWaitsForMaxBlockMs() throws Exception {
        SecuredCluster cluster = SecuredCluster.of("TLS");
        Properties plaintext = new Properties(); // no security.protocol: PLAINTEXT
        plaintext.put("max.block.ms", "5000");
        SecuredCluster.Refusal refusal = cluster.refusedWrite(plaintext, cluster.newTopic("tls-plaintext"));
        assertInstanceOf(TimeoutException.class, refusal.error());
        assertTrue(refusal.took().compareTo(Duration.ofMillis(4900)) >= 0, refusal.took().toString());
    }
}
