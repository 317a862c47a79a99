package io.caravan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The one ObjectMapper Caravan uses, and the "parse it if it is JSON" rule for payloads. */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /**
     * A payload as the run context holds it: the parsed value when the text is a JSON object or
     * array, the text itself otherwise. Scalars stay text so "007" is not turned into 7.
     */
    public static Object parseIfJson(String text) {
        if (text == null) {
            return null;
        }
        String t = text.strip();
        if (!(t.startsWith("{") && t.endsWith("}")) && !(t.startsWith("[") && t.endsWith("]"))) {
            return text;
        }
        try {
            return MAPPER.readValue(t, Object.class);
        } catch (JsonProcessingException e) {
            return text;
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
        }
    }
}
