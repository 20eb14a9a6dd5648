package io.nativemem;

import io.nativemem.forked.LeakSamplingProbe;
import io.nativemem.forked.ObservabilityProbe;
import io.nativemem.testing.CapturedLog;
import io.nativemem.testing.ForkedJvm;
import io.nativemem.testing.LedgerBalanceExtension;
import org.junit.jupiter.api.Test;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stats, JMX buffer pools, JFR events and leak reports. */
class ObservabilityTest {

    private static BufferPoolMXBean pool(String name) throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName objectName = new ObjectName("io.nativemem:type=BufferPool,name=" + name);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!server.isRegistered(objectName) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(server.isRegistered(objectName), objectName + " registered");
        return JMX.newMXBeanProxy(server, objectName, BufferPoolMXBean.class);
    }

    @Test
    void bufferPoolMXBeansTrackAllocationsExactly() throws Exception {
        LedgerBalanceExtension.Ledger.awaitEmpty();
        BufferPoolMXBean nativePool = pool("native");
        assertEquals("nativemem native", nativePool.getName());
        long count = nativePool.getCount();
        long capacity = nativePool.getTotalCapacity();
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocate(1000, 8);
            arena.allocateBuffer(3000);
            assertEquals(count + 2, nativePool.getCount());
            assertEquals(capacity + 4000, nativePool.getTotalCapacity());
            assertEquals(NativeMemory.stats().reservedMemory(), nativePool.getMemoryUsed());
        }
        assertEquals(count, nativePool.getCount());
        assertEquals(capacity, nativePool.getTotalCapacity());
    }

    @Test
    void theMappedPoolCountsMappings(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("f"), new byte[10_000]);
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.map(file, FileChannel.MapMode.READ_ONLY, 0, 10_000);
            BufferPoolMXBean mapped = pool("mapped");
            assertEquals(NativeMemory.stats().mappedCount(), mapped.getCount());
            assertEquals(NativeMemory.stats().mappedMemory(), mapped.getTotalCapacity());
            assertTrue(mapped.getCount() >= 1);
        }
    }

    @Test
    void aLeakedArenaIsFreedReportedToTheListenerAndLogged() throws Exception {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        Consumer<LeakReport> previous = NativeMemory.setLeakListener(reports::add);
        try (CapturedLog log = CapturedLog.ofRuntime()) {
            long before = NativeMemory.stats().count();
            leak();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (reports.isEmpty() && System.nanoTime() < deadline) {
                System.gc();
                Thread.onSpinWait();
            }
            assertEquals(1, reports.size(), reports.toString());
            LeakReport report = reports.get(0);
            assertEquals("confined", report.kind());
            assertEquals(2, report.blocks());
            assertEquals(4096 + 100, report.bytes());
            assertTrue(NativeMemory.stats().count() <= before);
            // Logged before the listener hears of it; one arena in 256 also says where it was created.
            List<String> logged = log.messages();
            assertEquals(1, logged.size(), logged.toString());
            assertTrue(logged.get(0).startsWith("WARNING: A confined arena was not closed: its 2 blocks (4196 bytes) "
                    + "were freed by the cleaner once it became unreachable"), logged.toString());
        } finally {
            NativeMemory.setLeakListener(previous);
        }
    }

    private static void leak() {
        NativeArena arena = NativeArena.ofConfined();
        arena.allocateBuffer(4096);
        arena.allocate(100);
    }

    @Test
    void closedAndAutoArenasAreNotLeaks() {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        Consumer<LeakReport> previous = NativeMemory.setLeakListener(reports::add);
        try {
            try (NativeArena arena = NativeArena.ofShared()) {
                arena.allocate(64);
            }
            NativeArena.ofAuto().allocate(64);
            NativeBuffer.allocateDirect(64);
            assertEquals(0, LedgerBalanceExtension.Ledger.awaitEmpty().count());
            assertTrue(reports.isEmpty(), reports.toString());
        } finally {
            NativeMemory.setLeakListener(previous);
        }
    }

    @Test
    void jfrRecordsWaitsFailuresReclaimsAndLeaksWithTheirFields() {
        ForkedJvm.Result result = ForkedJvm.run(List.of("-Dnativemem.maxMemory=8m", "-Dnativemem.leakDetection=all"),
                ObservabilityProbe.class);
        assertEquals(0, result.exitCode(), result.toString());
        String out = result.output();
        assertTrue(out.lines().anyMatch(l -> l.startsWith("event io.nativemem.ReservationWait")
                && l.contains("size=8388608") && l.contains("limit=8388608") && l.contains("allocated=8388608")
                && l.contains("succeeded=true") && l.contains("stackMentions=true")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("event io.nativemem.ReservationFailure")
                && l.contains("size=4096") && l.contains("allocated=8388608") && l.contains("limit=8388608")
                && l.contains("stackMentions=true")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("event io.nativemem.Reclaim") && l.contains("blocks=")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("event io.nativemem.Leak") && l.contains("kind=shared")
                && l.contains("blocks=2") && l.contains("bytes=1024") && l.contains("createdAtMentionsLeakAnArena=true")), out);
        assertTrue(out.contains("leak shared blocks=2 bytes=1024 createdIn=leakAnArena"), out);
        assertTrue(out.contains("A shared arena was not closed: its 2 blocks (1024 bytes)"), "logged: " + out);
        assertTrue(out.lines().anyMatch("end: count=0 capacity=0 freedByGc=3"::equals), out);
    }

    @Test
    void sampleModeRecordsWhereArenasAreCreatedOnlyOnceALeakWasReported() {
        ForkedJvm.Result result = ForkedJvm.run(List.of("-Dnativemem.maxMemory=64m"), LeakSamplingProbe.class);
        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = result.output().lines().toList();
        // Created before any leak was reported: none records where.
        assertTrue(lines.contains("before: reports=300 traced=0"), result.toString());
        // Created after: about one in 256 (12 expected of 3,000; none at all has odds of 1e-5).
        String after = lines.stream().filter(l -> l.startsWith("after: ")).findFirst().orElseThrow();
        assertTrue(after.startsWith("after: reports=3000 traced="), result.toString());
        long traced = Long.parseLong(after.substring(after.indexOf("traced=") + 7));
        assertTrue(traced >= 1 && traced <= 60, after);
    }

    @Test
    void offModeReportsNothingButStillFrees() {
        ForkedJvm.Result result = ForkedJvm.run(List.of("-Dnativemem.maxMemory=8m", "-Dnativemem.leakDetection=off"),
                ObservabilityProbe.class);
        assertEquals(0, result.exitCode(), result.toString());
        assertFalse(result.output().contains("event io.nativemem.Leak"), result.toString());
        assertFalse(result.output().contains("leak shared"), result.toString());
        assertFalse(result.output().contains("was not closed"), result.toString());
        // Not reported, but freed all the same: the leaked arena's blocks too.
        assertTrue(result.output().lines().anyMatch("end: count=0 capacity=0 freedByGc=3"::equals), result.toString());
    }
}
