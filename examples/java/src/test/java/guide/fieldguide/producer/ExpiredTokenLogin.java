package guide.fieldguide.producer;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;

import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;

/**
 * A login callback handler (sasl.login.callback.handler.class) whose token expired a minute ago: an unsigned lab
 * JWT for "admin", issued two minutes ago for one minute, which is what a cached token looks like after its
 * expiry. The client is told the token's true lifetime.
 */
public class ExpiredTokenLogin implements AuthenticateCallbackHandler {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    @Override
    public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> entries) {
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback callback : callbacks) {
            if (!(callback instanceof OAuthBearerTokenCallback tokenCallback)) {
                throw new UnsupportedCallbackException(callback);
            }
            long now = System.currentTimeMillis() / 1000;
            tokenCallback.token(token(now - 120, now - 60));
        }
    }

    private static OAuthBearerToken token(long issuedAt, long expiresAt) {
        String claims = "{\"sub\":\"admin\",\"iat\":" + issuedAt + ",\"exp\":" + expiresAt + "}";
        String jwt = encode("{\"alg\":\"none\"}") + "." + encode(claims) + ".";
        return new OAuthBearerToken() {
            @Override
            public String value() {
                return jwt;
            }

            @Override
            public Set<String> scope() {
                return Set.of();
            }

            @Override
            public long lifetimeMs() {
                return expiresAt * 1000;
            }

            @Override
            public String principalName() {
                return "admin";
            }

            @Override
            public Long startTimeMs() {
                return issuedAt * 1000;
            }
        };
    }

    private static String encode(String json) {
        return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
    }
}
