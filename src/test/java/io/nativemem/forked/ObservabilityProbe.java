package io.nativemem.forked;

import io.nativemem.LeakReport;
import io.nativemem.MemoryStats;
import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs with a 8 MiB limit under a JFR recording: makes a reservation wait, one fail, and an
 * arena leak, then prints every nativemem event and every leak report, one a line.
 */
public final class ObservabilityProbe {

    public static void main(String[] args) throws Exception {
        List<LeakReport> leaks = new CopyOnWriteArrayList<>();
        NativeMemory.setLeakListener(leaks::add);
        Path file = Files.createTempFile("nativemem", ".jfr");
        try (Recording recording = new Recording()) {
            for (String event : List.of("io.nativemem.ReservationWait", "io.nativemem.ReservationFailure",
                    "io.nativemem.Reclaim", "io.nativemem.Leak")) {
                recording.enable(event);
            }
            recording.start();
            makeAWait();
            makeAFailure();
            leakAnArena();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (NativeMemory.stats().count() != 0 && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(10);
            }
            Thread.sleep(200); // the report follows the freeing, on the reclaimer thread
            recording.stop();
            recording.dump(file);
        }
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            StringBuilder line = new StringBuilder("event " + event.getEventType().getName());
            event.getFields().forEach(f -> {
                if (!f.getName().equals("stackTrace") && !f.getName().equals("eventThread")
                        && !f.getName().equals("startTime") && !f.getName().equals("createdAt")) {
                    line.append(' ').append(f.getName()).append('=').append(event.getValue(f.getName()).toString());
                }
            });
            if (event.hasField("createdAt")) {
                line.append(" createdAtMentionsLeakAnArena=").append(event.getString("createdAt").contains("leakAnArena"));
            }
            if (event.getStackTrace() != null && !event.getStackTrace().getFrames().isEmpty()) {
                line.append(" stackMentions=").append(event.getStackTrace().getFrames().stream()
                        .anyMatch(f -> f.getMethod().getName().startsWith("make")));
            }
            System.out.println(line);
        }
        for (LeakReport leak : leaks) {
            System.out.println("leak " + leak.kind() + " blocks=" + leak.blocks() + " bytes=" + leak.bytes()
                    + " createdIn=" + (leak.createdAt().isEmpty() ? "unknown" : leak.createdAt().get(0).getMethodName()));
        }
        // The 8 MiB buffer dropped in makeAWait and the leaked arena's 2 blocks: 3 freed by the GC.
        MemoryStats end = NativeMemory.stats();
        System.out.println("end: count=" + end.count() + " capacity=" + end.totalCapacity()
                + " freedByGc=" + end.freedByGc());
        Files.deleteIfExists(file);
    }

    /** The limit is full of an unreachable buffer: the next allocation waits for the GC to free it. */
    private static void makeAWait() {
        NativeBuffer.allocateDirect(8 << 20).putLong(0, 1);
        NativeBuffer.allocateDirect(8 << 20).close();
    }

    /** The limit is held by an open arena: the allocation fails. */
    private static void makeAFailure() {
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocate(8 << 20, 16);
            NativeBuffer.allocateDirect(4096);
        } catch (OutOfMemoryError expected) {
            // recorded
        }
    }

    private static void leakAnArena() {
        NativeArena arena = NativeArena.ofShared();
        arena.allocate(1000, 8);
        arena.allocateBuffer(24);
    }
}
