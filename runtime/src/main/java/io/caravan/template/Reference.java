package io.caravan.template;

import java.util.List;

/**
 * One {@code {{...}}} reference: its root ({@code input}, {@code trigger}, {@code now} or a node
 * id), the path below it (String keys and Integer indexes), its text as written and the offset
 * of its opening braces in the template.
 */
public record Reference(String root, List<Object> path, String text, int offset) {
}
