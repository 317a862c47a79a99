package io.caravan.bench;

/**
 * A thread that runs a step over and over until closed: the raw pipes' and final consumers'
 * poll loops. A failing step stops the loop and is reported, so a broken pipe shows up as
 * messages not delivered rather than as a hang.
 */
final class Loop implements AutoCloseable {

    interface Step {
        void run() throws Exception;
    }

    private final Thread thread;
    private volatile boolean running = true;

    private Loop(String name, Step init, Step step, Step cleanup) {
        thread = new Thread(() -> {
            try {
                init.run();
                while (running) {
                    step.run();
                }
            } catch (Exception e) {
                if (running) {
                    System.err.println("[bench] " + name + " stopped: " + e);
                }
            } finally {
                try {
                    cleanup.run();
                } catch (Exception e) {
                    // closing anyway
                }
            }
        }, "bench-" + name);
        thread.setDaemon(true);
    }

    static Loop start(String name, Step init, Step step, Step cleanup) {
        Loop loop = new Loop(name, init, step, cleanup);
        loop.thread.start();
        return loop;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(30_000);
    }
}
