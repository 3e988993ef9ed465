package guide.fieldguide.producer;

import java.util.Properties;

/**
 * OAUTHBEARER over TLS, LAB ONLY: {@code kafkalab up --sasl oauthbearer} runs Kafka's unsecured-JWT validator,
 * which accepts unsigned tokens. Given no token endpoint, the Java client's login module makes such a token
 * itself for the principal in unsecuredLoginStringClaim_sub. A real cluster validates signed tokens: there the
 * client names its identity provider's token endpoint (sasl.oauthbearer.token.endpoint.url) and its client
 * credentials instead.
 */
public final class OAuthBearerProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String CA_FILE = System.getenv().getOrDefault("KAFKA_CA_FILE", "ca.pem");
    static final String PRINCIPAL = System.getenv().getOrDefault("KAFKA_PRINCIPAL", "admin");

    private OAuthBearerProducer() {
    }

    public static Properties security(String caFile, String principal) {
        // --8<-- [start:config]
        Properties props = new Properties();
        props.put("security.protocol", "SASL_SSL");
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", caFile);
        props.put("sasl.mechanism", "OAUTHBEARER");
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
                + " required unsecuredLoginStringClaim_sub=\"" + principal + "\";");
        // --8<-- [end:config]
        return props;
    }

    public static void main(String[] args) throws Exception {
        SecuredProducer.run(BOOTSTRAP_SERVERS, security(CA_FILE, PRINCIPAL), "oauthbearer");
    }
}
