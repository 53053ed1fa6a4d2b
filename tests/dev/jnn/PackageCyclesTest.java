package dev.jnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The dev.jnn packages form no dependency cycle, and the layering of docs/ARCHITECTURE.md holds:
 * tensor depends on no other jnn package, nn on none of train, io and profile, backend on none of
 * its implementations (those are found through ServiceLoader). Reads every .java file under
 * {@code java/}, with comments and string literals removed, and takes as dependencies the imports
 * (static ones too) and the fully qualified {@code dev.jnn...} names in code.
 */
@Tag("build-tree")   // reads the java/ source tree: not in the offline bundle (bin/test excludes the tag)
class PackageCyclesTest {

  /** One dependency: a reference in {@code file} at {@code line} from package {@code from} to {@code to}. */
  record Ref(String from, String to, Path file, int line) {}

  private static final Path SOURCES = Path.of("java");
  private static final Pattern PACKAGE = Pattern.compile("\\bpackage\\s+([\\w.]+)\\s*;");
  private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w$.])dev\\s*\\.\\s*jnn(?:\\s*\\.\\s*[A-Za-z_$][\\w$]*)+");

  /** Package -> package it depends on -> the references that make the edge. */
  private static final Map<String, Map<String, List<Ref>>> graph = new TreeMap<>();

  @BeforeAll
  static void readSources() throws IOException {
    assertTrue(Files.isDirectory(SOURCES), "no source tree at " + SOURCES.toAbsolutePath() + " (run from the Maven basedir)");
    Map<Path, String> code = new TreeMap<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList()))
        code.put(f, stripCommentsAndLiterals(Files.readString(f)));
    }
    Map<Path, String> packageOf = new HashMap<>();
    for (Map.Entry<Path, String> e : code.entrySet()) {
      Matcher m = PACKAGE.matcher(e.getValue());
      if (!m.find()) fail(e.getKey() + " declares no package");
      packageOf.put(e.getKey(), m.group(1));
      graph.putIfAbsent(m.group(1), new TreeMap<>());
    }
    assertTrue(graph.size() > 10, "found only the packages " + graph.keySet() + " under " + SOURCES.toAbsolutePath());
    for (Map.Entry<Path, String> e : code.entrySet()) {
      String from = packageOf.get(e.getKey()), text = e.getValue();
      Matcher m = QUALIFIED.matcher(text);
      while (m.find()) {
        String to = knownPackagePrefix(m.group().replaceAll("\\s", ""));
        if (to == null || to.equals(from)) continue;
        int line = 1 + (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count();
        graph.get(from).computeIfAbsent(to, k -> new ArrayList<>()).add(new Ref(from, to, e.getKey(), line));
      }
    }
  }

  /** The longest source package that a dotted name starts with (dev.jnn.backend.java.JavaBackend: dev.jnn.backend.java). */
  private static String knownPackagePrefix(String name) {
    for (String n = name; n.contains("."); n = n.substring(0, n.lastIndexOf('.')))
      if (graph.containsKey(n)) return n;
    return null;
  }

  /**
   * Java source with comments, string and character literals and text blocks replaced by blanks
   * (line breaks kept, so line numbers stay right).
   */
  static String stripCommentsAndLiterals(String s) {
    StringBuilder out = new StringBuilder(s.length());
    int i = 0, n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      int end;
      if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
        end = s.indexOf('\n', i);
        if (end < 0) end = n;
      } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
        end = s.indexOf("*/", i + 2);
        end = end < 0 ? n : end + 2;
      } else if (s.startsWith("\"\"\"", i)) {
        end = i + 3;
        while (end < n && !s.startsWith("\"\"\"", end)) end += s.charAt(end) == '\\' ? 2 : 1;
        end = Math.min(n, end + 3);
      } else if (c == '"' || c == '\'') {
        end = i + 1;
        while (end < n && s.charAt(end) != c && s.charAt(end) != '\n') end += s.charAt(end) == '\\' ? 2 : 1;
        end = Math.min(n, end + 1);
      } else {
        out.append(c);
        i++;
        continue;
      }
      for (int k = i; k < end; k++) out.append(s.charAt(k) == '\n' ? '\n' : ' ');
      i = end;
    }
    return out.toString();
  }

  /** The strongly connected components of the package graph with more than one package (Tarjan). */
  static List<Set<String>> cycles(Map<String, Map<String, List<Ref>>> g) {
    Map<String, Integer> index = new HashMap<>(), low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<Set<String>> result = new ArrayList<>();
    for (String v : g.keySet()) if (!index.containsKey(v)) strongConnect(v, g, index, low, stack, onStack, result);
    return result;
  }

  private static void strongConnect(String v, Map<String, Map<String, List<Ref>>> g, Map<String, Integer> index, Map<String, Integer> low,
      Deque<String> stack, Set<String> onStack, List<Set<String>> result) {
    index.put(v, index.size());
    low.put(v, index.get(v));
    stack.push(v);
    onStack.add(v);
    for (String w : g.getOrDefault(v, Map.of()).keySet()) {
      if (!index.containsKey(w)) {
        strongConnect(w, g, index, low, stack, onStack, result);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      Set<String> component = new TreeSet<>();
      String w;
      do {
        w = stack.pop();
        onStack.remove(w);
        component.add(w);
      } while (!w.equals(v));
      if (component.size() > 1) result.add(component);
    }
  }

  /** One line per edge with the lines that make it: {@code a -> b: File.java:12,40 Other.java:3}. */
  private static String describe(List<Ref> refs) {
    Map<String, Map<String, Set<Integer>>> byEdge = new TreeMap<>();
    for (Ref r : refs)
      byEdge.computeIfAbsent(r.from() + " -> " + r.to(), k -> new TreeMap<>())
          .computeIfAbsent(r.file().getFileName().toString(), k -> new TreeSet<>()).add(r.line());
    StringBuilder sb = new StringBuilder();
    byEdge.forEach((edge, files) -> {
      sb.append("\n    ").append(edge).append(":");
      files.forEach((file, lines) -> sb.append(' ').append(file).append(':')
          .append(lines.stream().map(String::valueOf).collect(Collectors.joining(","))));
    });
    return sb.toString();
  }

  /** The references from {@code from} to any package for which {@code banned} holds. */
  private static List<Ref> refsFrom(String from, Predicate<String> banned) {
    assertTrue(graph.containsKey(from), "no package " + from + " under " + SOURCES);
    List<Ref> refs = new ArrayList<>();
    graph.get(from).forEach((to, rs) -> { if (banned.test(to)) refs.addAll(rs); });
    return refs;
  }

  @Test
  void noPackageCycles() {
    List<Set<String>> cycles = cycles(graph);
    StringBuilder sb = new StringBuilder();
    for (Set<String> c : cycles) {
      List<Ref> inside = new ArrayList<>();
      for (String p : c) graph.get(p).forEach((to, rs) -> { if (c.contains(to)) inside.addAll(rs); });
      sb.append("\n  cycle ").append(c).append(describe(inside));
    }
    System.out.println("package cycles: " + (cycles.isEmpty() ? "none" : sb));
    assertTrue(cycles.isEmpty(), cycles.size() + " package cycle(s) among the dev.jnn packages:" + sb);
  }

  @Test
  void tensorDependsOnNoOtherJnnPackage() {
    List<Ref> refs = refsFrom("dev.jnn.tensor", to -> true);
    assertTrue(refs.isEmpty(), "dev.jnn.tensor must not reference other dev.jnn packages:" + describe(refs));
  }

  @Test
  void nnDependsOnNeitherTrainNorIoNorProfile() {
    List<Ref> refs = refsFrom("dev.jnn.nn", to -> to.equals("dev.jnn.train") || to.equals("dev.jnn.io") || to.equals("dev.jnn.profile"));
    assertTrue(refs.isEmpty(), "dev.jnn.nn must not reference dev.jnn.train, dev.jnn.io or dev.jnn.profile:" + describe(refs));
  }

  @Test
  void onnxDependsOnlyOnNnTensorAndBackend() {
    List<Ref> refs = refsFrom("dev.jnn.onnx", to -> !to.equals("dev.jnn.nn") && !to.equals("dev.jnn.tensor") && !to.startsWith("dev.jnn.backend"));
    assertTrue(refs.isEmpty(), "dev.jnn.onnx (the ONNX export, called by train.Model) may reference only nn, tensor and backend:" + describe(refs));
  }

  @Test
  void backendDependsOnNoneOfItsImplementations() {
    List<Ref> refs = refsFrom("dev.jnn.backend", to -> to.startsWith("dev.jnn.backend."));
    assertTrue(refs.isEmpty(), "dev.jnn.backend must find its implementations through BackendProvider, not reference them:" + describe(refs));
  }

  @Test
  void theScannerSeesThroughCommentsAndLiterals() {
    String s = stripCommentsAndLiterals("""
        import dev.jnn.a.B; // dev.jnn.c.D
        /* dev.jnn.e.F */ String x = "dev.jnn.g.H \\" dev.jnn.i.J"; char q = '"';
        Object y = dev.jnn.k.L.of(); String t = \"\"\"
          dev.jnn.m.N
          \"\"\";
        """);
    List<String> found = new ArrayList<>();
    Matcher m = QUALIFIED.matcher(s);
    while (m.find()) found.add(m.group());
    assertEquals(List.of("dev.jnn.a.B", "dev.jnn.k.L.of"), found, s);
    assertFalse(s.contains("dev.jnn.m"), s);
    assertEquals(5, s.lines().count(), "line breaks must be kept:\n" + s);
  }
}
