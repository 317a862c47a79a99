package io.caravan.binding;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.SocketException;
import org.apache.http.NoHttpResponseException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;

class BindingSupportTest {

    @Test
    void aServerThatClosesTheConnectionWithoutAnAnswerIsUnreachable() {
        // what the AWS SDK throws when ElasticMQ goes down mid-request (seen in the restart-sqs fault row)
        SdkClientException noAnswer = SdkClientException.builder().message("Unable to execute HTTP request")
                .cause(new NoHttpResponseException("The target server failed to respond")).build();
        assertThat(BindingSupport.isUnreachable(noAnswer)).isTrue();
        assertThat(BindingSupport.isUnreachable(new RuntimeException(new SocketException("Connection reset")))).isTrue();
    }

    @Test
    void aBrokerThatAnsweredWithAnErrorIsNotUnreachable() {
        assertThat(BindingSupport.isUnreachable(new IllegalStateException("AccessDenied"))).isFalse();
        assertThat(BindingSupport.isUnreachable(SdkClientException.create("Unable to marshall request"))).isFalse();
    }
}
