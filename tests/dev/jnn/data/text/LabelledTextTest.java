package dev.jnn.data.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Labelled line data, sentence splitting, seeded split, encoding with mask, the license task. */
class LabelledTextTest {
  @Test
  void readsTsv(@TempDir Path dir) throws IOException {
    Path f = Files.writeString(dir.resolve("d.tsv"), "1\tGreat film, loved it\n\n0\tBoring.\r\n1\t\u00c9pique!\n");
    List<LabelledText.Example> ex = LabelledText.readTsv(f);
    assertEquals(List.of(new LabelledText.Example(1, "Great film, loved it"), new LabelledText.Example(0, "Boring."), new LabelledText.Example(1, "\u00c9pique!")),
        ex);
  }

  @Test
  void tsvErrors(@TempDir Path dir) throws IOException {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelledText.parseTsv("1\tok\nno tab here\n", "d.tsv"));
    assertTrue(e.getMessage().contains("d.tsv line 2") && e.getMessage().contains("TAB"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LabelledText.parseTsv("pos\tgood\n", "d.tsv"));
    assertTrue(e.getMessage().contains("label 'pos'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LabelledText.parseTsv("1\t  \n", "d.tsv"));
    assertThrows(IllegalArgumentException.class, () -> LabelledText.parseTsv("\n\n", "d.tsv"));
    Path empty = Files.createFile(dir.resolve("empty.tsv"));
    IOException io = assertThrows(IOException.class, () -> LabelledText.readTsv(empty));
    assertTrue(io.getMessage().contains("empty.tsv") && io.getMessage().contains("empty"), io.getMessage());
    io = assertThrows(FileNotFoundException.class, () -> LabelledText.readTsv(dir.resolve("missing.tsv")));
    assertTrue(io.getMessage().contains("missing.tsv") && io.getMessage().contains("label<TAB>text"), io.getMessage());
  }

  @Test
  void sentencesSplitAndSkipShortFragments() {
    String text = "First sentence is here. Second: has a colon part; and\n a  third\n\nnew paragraph without stop\n  more words of it\n\nok.";
    assertEquals(List.of("First sentence is here", "has a colon part", "and a third", "new paragraph without stop more words of it"),
        LabelledText.sentences(text, 3));
    assertEquals(List.of("First sentence is here", "Second", "has a colon part", "and a third", "new paragraph without stop more words of it", "ok"),
        LabelledText.sentences(text, 1));
    assertThrows(IllegalArgumentException.class, () -> LabelledText.sentences("", 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelledText.fromTwoTexts("one two three four.", "a. b.", 3));
    assertTrue(e.getMessage().contains("class 1"), e.getMessage());
  }

  @Test
  void encodeGivesIdsTargetsAndMask() {
    List<LabelledText.Example> ex = List.of(new LabelledText.Example(0, "the cat sat"), new LabelledText.Example(1, "the zebra ran far away"));
    Tokenizer t = Tokenizer.fit(List.of("the cat sat the"), 10);  // the=2, cat=3, sat=4
    LabelledText.Encoded e = LabelledText.encode(ex, t, 4);
    assertArrayEquals(new int[] {2, 4}, e.dataset().features().shape());
    assertArrayEquals(new int[] {2, 1}, e.dataset().targets().shape());
    assertArrayEquals(new int[] {2, 4}, e.mask().shape());
    assertArrayEquals(new float[] {2, 3, 4, 0, 2, 1, 1, 1}, e.dataset().features().toArray());
    assertArrayEquals(new float[] {0, 1}, e.dataset().targets().toArray());
    assertArrayEquals(new float[] {1, 1, 1, 0, 1, 1, 1, 1}, e.mask().toArray());
  }

  static List<LabelledText.Example> toy(int n) {
    List<LabelledText.Example> ex = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) ex.add(new LabelledText.Example(i % 2, "sample number " + i));
    return ex;
  }

  @Test
  void splitIsSeededAndPartitions() {
    List<LabelledText.Example> ex = toy(50);
    LabelledText.Split a = LabelledText.split(ex, 0.2, 7), b = LabelledText.split(ex, 0.2, 7), c = LabelledText.split(ex, 0.2, 8);
    assertEquals(40, a.train().size());
    assertEquals(10, a.heldOut().size());
    assertEquals(a, b);
    assertNotEquals(a.heldOut(), c.heldOut());
    Set<LabelledText.Example> all = new HashSet<>(a.train());
    all.addAll(a.heldOut());
    assertEquals(new HashSet<>(ex), all);
    assertThrows(IllegalArgumentException.class, () -> LabelledText.split(ex, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> LabelledText.split(ex, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> LabelledText.split(toy(1), 0.5, 1));
  }

  @Test
  void licenseTask() throws IOException {
    Assumptions.assumeTrue(LicenseTexts.available(), "no /usr/share/common-licenses");
    List<LabelledText.Example> ex = LicenseTexts.examples();
    long ones = ex.stream().filter(e -> e.label() == 1).count(), zeros = ex.size() - ones;
    assertTrue(zeros > 100 && ones > 30, zeros + " GPL-3, " + ones + " Apache-2.0 sentences");
    LabelledText.Task t = LicenseTexts.task(7), u = LicenseTexts.task(7), w = LicenseTexts.task(8);
    int n = ex.size(), held = (int) Math.round(n * LicenseTexts.HELD_OUT);
    assertEquals(n - held, t.train().size());
    assertEquals(held, t.heldOut().size());
    assertArrayEquals(new int[] {n - held, LicenseTexts.MAX_LEN}, t.train().dataset().features().shape());
    assertArrayEquals(new int[] {held, LicenseTexts.MAX_LEN}, t.heldOut().mask().shape());
    for (LabelledText.Encoded e : List.of(t.train(), t.heldOut())) {
      Set<Float> labels = new HashSet<>();
      for (float y : e.dataset().targets().toArray()) labels.add(y);
      assertEquals(Set.of(0f, 1f), labels);
      for (float id : e.dataset().features().toArray()) assertTrue(id >= 0 && id < t.tokenizer().size());
    }
    assertEquals(t.tokenizer(), u.tokenizer());
    assertArrayEquals(t.train().dataset().features().toArray(), u.train().dataset().features().toArray());
    assertArrayEquals(t.heldOut().dataset().targets().toArray(), u.heldOut().dataset().targets().toArray());
    assertNotEquals(t.heldOut().examples(), w.heldOut().examples());
    assertTrue(t.tokenizer().size() <= LicenseTexts.MAX_WORDS + 2);
  }
}
