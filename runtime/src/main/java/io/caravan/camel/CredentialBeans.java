package io.caravan.camel;

import io.caravan.binding.Bindings;
import io.caravan.credential.Credential;
import io.caravan.credential.CredentialStore;
import io.caravan.runtime.WorkflowSet;
import io.caravan.webhook.WebhookAuth;
import java.nio.file.Path;
import org.apache.camel.CamelContext;
import org.apache.camel.support.DefaultComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Credentials for compiled routes that run outside Caravan's runtime (in a plain camel-main):
 * when the Camel property {@value #PROPERTY} names a credentials file, the first of Caravan's
 * components to start in a context reads it and binds each credential by id as the runtime
 * does ({@code caravan-credential-<id>}: a broker's client factory, a webhook's secret), so
 * that the routes' {@code #caravan-credential-<id>} references resolve. {@code ${NAME}} in the
 * file is read from the environment. Caravan's runtime binds its credentials itself and never
 * sets the property.
 */
public final class CredentialBeans {

    /** The Camel property naming the credentials file. */
    public static final String PROPERTY = "caravan.credentials.file";

    private static final String LOADED = "caravan-credentials-file-loaded";
    private static final Logger LOG = LoggerFactory.getLogger(CredentialBeans.class);

    private CredentialBeans() {
    }

    /** Binds the file's credentials into {@code context}'s registry, once per context. */
    public static void install(CamelContext context) {
        String file = context.getPropertiesComponent().resolveProperty(PROPERTY).orElse(null);
        if (file == null || file.isBlank()) {
            return;
        }
        synchronized (context) {
            if (context.getRegistry().lookupByName(LOADED) != null) {
                return;
            }
            context.getRegistry().bind(LOADED, Boolean.TRUE);
            CredentialStore store = CredentialStore.load(Path.of(file), file, WorkflowSet.credentialSpecs(), System.getenv());
            for (Credential credential : store.all()) {
                bind(context, credential);
                Bindings.forCredentialType(credential.type()).ifPresent(b -> b.register(context));
            }
            LOG.info("bound {} credential(s) from {}", store.ids().size(), file);
        }
    }

    /**
     * Binds one credential by id ({@code caravan-credential-<id>}): a webhook's secret, or its
     * broker's client factory. Caravan's runtime binds the credentials its workflows use this way too.
     */
    public static void bind(CamelContext context, Credential credential) {
        if (credential.type().equals(WebhookAuth.CREDENTIAL.type())) {
            context.getRegistry().bind(Bindings.beanName(credential.id()), WebhookAuth.Secret.class,
                    WebhookAuth.Secret.of(credential));
            return;
        }
        Bindings.forCredentialType(credential.type()).orElseThrow().provisioner().bind(context, credential);
    }

    /** The base of Caravan's components: they bind the credentials file's credentials when they start. */
    public abstract static class Component extends DefaultComponent {

        @Override
        protected void doInit() throws Exception {
            super.doInit();
            install(getCamelContext());
        }
    }
}
