package io.caravan.workflow;

import io.caravan.source.Location;
/**
 * A directed edge. {@code when} is null for an unconditional edge, or the condition result
 * ({@code true}/{@code false}) under which a condition node follows it.
 */
public record Edge(String from, String to, Boolean when, Location location) {
}
