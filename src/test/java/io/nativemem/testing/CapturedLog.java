package io.nativemem.testing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What the runtime logs through {@code System.Logger} ("io.nativemem"), captured instead of printed
 * while it is open: for tests that provoke a warning on purpose and check it. Relies on the JDK's
 * default logger finder, which hands {@code System.Logger}s to {@code java.util.logging}.
 */
public final class CapturedLog implements AutoCloseable {

    private final Logger logger; // held: java.util.logging keeps its loggers only weakly
    private final boolean usedParentHandlers;
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            messages.add(systemLevel(record.getLevel()) + ": " + record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private CapturedLog(String name) {
        logger = Logger.getLogger(name);
        usedParentHandlers = logger.getUseParentHandlers();
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
        logger.setUseParentHandlers(false);
    }

    /** The {@code System.Logger.Level} a {@code java.util.logging} level stands for (SEVERE is ERROR). */
    private static System.Logger.Level systemLevel(Level level) {
        int value = level.intValue();
        return value >= Level.SEVERE.intValue() ? System.Logger.Level.ERROR
                : value >= Level.WARNING.intValue() ? System.Logger.Level.WARNING
                : value >= Level.INFO.intValue() ? System.Logger.Level.INFO
                : value >= Level.FINE.intValue() ? System.Logger.Level.DEBUG : System.Logger.Level.TRACE;
    }

    /** Captures what the runtime logs from now until {@link #close()}. */
    public static CapturedLog ofRuntime() {
        return new CapturedLog("io.nativemem");
    }

    /** Every message so far, as {@code LEVEL: text} with {@code System.Logger}'s level names. */
    public List<String> messages() {
        return List.copyOf(messages);
    }

    /** Waits up to {@code timeout} for {@code count} messages (other threads log too); returns them all. */
    public List<String> awaitMessages(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (messages.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return messages();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setUseParentHandlers(usedParentHandlers);
    }
}
