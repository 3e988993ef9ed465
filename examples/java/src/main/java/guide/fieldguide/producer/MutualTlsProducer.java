package guide.fieldguide.producer;

import java.util.Properties;

/**
 * Mutual TLS: the broker also checks the client's certificate. Needs {@code kafkalab up --mtls}: its state dir
 * holds tls/client-keystore.pem, the client's private key and certificate (signed by the lab CA) in one PEM
 * file, which is what a Java PEM keystore is.
 */
public final class MutualTlsProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String CA_FILE = System.getenv().getOrDefault("KAFKA_CA_FILE", "ca.pem");
    static final String KEYSTORE_FILE = System.getenv().getOrDefault("KAFKA_KEYSTORE_FILE", "client-keystore.pem");

    private MutualTlsProducer() {
    }

    public static Properties security(String caFile, String keystoreFile) {
        // --8<-- [start:config]
        Properties props = new Properties();
        props.put("security.protocol", "SSL");
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", caFile);
        props.put("ssl.keystore.type", "PEM");
        props.put("ssl.keystore.location", keystoreFile);
        // --8<-- [end:config]
        return props;
    }

    public static void main(String[] args) throws Exception {
        SecuredProducer.run(BOOTSTRAP_SERVERS, security(CA_FILE, KEYSTORE_FILE), "mtls");
    }
}
