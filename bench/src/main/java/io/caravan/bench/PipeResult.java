package io.caravan.bench;

/**
 * One pipe's figures. Throughput, CPU and heap come from the drain of a pre-loaded source;
 * latencies from the fixed-rate phase (null when the pipe could not keep up with the rate);
 * lost and duplicated from both phases.
 *
 * @param messages    messages drained (fewer than pre-loaded when the drain hit its time cap)
 * @param preloaded   messages pre-loaded for the drain
 * @param rateSent    messages sent in the fixed-rate phase
 * @param rateDelivered of those, how many reached the final consumer
 */
record PipeResult(long messages, long preloaded, double msgsPerS, Double p50Ms, Double p99Ms, Double maxMs,
                  long lost, long duplicated, double cpuS, double peakHeapMb, long rateSent, long rateDelivered,
                  String note) {

    boolean drainCapped() {
        return messages < preloaded;
    }

    boolean keptUp() {
        return p50Ms != null;
    }
}
