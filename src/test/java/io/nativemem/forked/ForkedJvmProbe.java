package io.nativemem.forked;

/**
 * A child for the tests of the forking helper itself: {@code hang} prints its pid and then sleeps
 * with stdout open; {@code chatter N} prints N lines of 100 characters and exits with status 3.
 */
public final class ForkedJvmProbe {

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "hang" -> {
                System.out.println("hanging pid=" + ProcessHandle.current().pid());
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
            case "chatter" -> {
                String line = "x".repeat(99);
                for (int i = 0, n = Integer.parseInt(args[1]); i < n; i++) {
                    System.out.println(line);
                }
                System.out.println("end of chatter");
                System.exit(3);
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
