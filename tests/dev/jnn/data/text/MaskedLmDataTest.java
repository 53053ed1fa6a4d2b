package dev.jnn.data.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.data.Dataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The masked-LM recipe's statistics and shapes, the corpus preparation and the fine-tuning encoding. */
class MaskedLmDataTest {
  /** A text of {@code words} words drawn from 50 distinct ones, in paragraphs of 30 words. */
  static String text(int words, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      sb.append("w").append(r.nextInt(50)).append(i % 30 == 29 ? "\n\n" : " ");
    }
    return sb.toString();
  }

  @Test
  void maskingFollowsTheRecipe() {
    int t = 20, k = MaskedLmData.maskedPositions(t), n = 2000;
    assertEquals(3, k, "round(0.15 * 20)");
    assertEquals(10, MaskedLmData.maskedPositions(64));
    MaskedLmData.Vocabulary v = new MaskedLmData.Vocabulary(Tokenizer.fit(List.of(text(5000, 1)), 100));
    assertEquals(52, v.mask(), "[MASK] right after the tokenizer's 2 + 50 ids");
    assertEquals(53, v.cls());
    assertEquals(54, v.size());
    // windows: [CLS] + words, every third window padded after 12 words (real tokens 1..12)
    SplittableRandom r = new SplittableRandom(2);
    int[] ids = new int[n * t];
    for (int i = 0; i < n; i++) {
      ids[i * t] = v.cls();
      int real = i % 3 == 0 ? 12 : t - 1;
      for (int j = 1; j <= real; j++) ids[i * t + j] = 1 + r.nextInt(51);   // <oov> and words
    }
    MaskedLmData.Windows w = new MaskedLmData.Windows(ids, n, t);
    Dataset d = MaskedLmData.mask(w, v, k, new SplittableRandom(3));
    assertEquals(3, d.numInputs());
    assertArrayEquals(new int[] {n, t}, d.input(0).shape());
    assertArrayEquals(new int[] {n, t}, d.input(1).shape());
    assertArrayEquals(new int[] {n, k}, d.input(2).shape());
    assertArrayEquals(new int[] {n, k}, d.targets().shape());
    float[] x = d.input(0).toArray(), keep = d.input(1).toArray(), pos = d.input(2).toArray(), y = d.targets().toArray();
    int masked = 0, random = 0, same = 0;
    int[] picked = new int[t];
    for (int i = 0; i < n; i++) {
      boolean[] isPicked = new boolean[t];
      for (int c = 0; c < k; c++) {
        int p = (int) pos[i * k + c];
        assertTrue(p >= 1 && ids[i * t + p] != 0, "window " + i + ": position " + p + " is a real token, not [CLS] or padding");
        if (c > 0) assertTrue(p > pos[i * k + c - 1], "distinct, ascending positions in window " + i);
        isPicked[p] = true;
        picked[p]++;
        assertEquals(ids[i * t + p], y[i * k + c], "the target is the original id");
        int now = (int) x[i * t + p];
        if (now == v.mask()) masked++;
        else if (now == ids[i * t + p]) same++;
        else {
          random++;
          assertTrue(now >= 2 && now < v.tokenizer().size(), "a random replacement is a word id, got " + now);
        }
      }
      for (int j = 0; j < t; j++) {
        assertEquals(ids[i * t + j] == 0 ? 0f : 1f, keep[i * t + j], "key mask");
        if (!isPicked[j]) assertEquals(ids[i * t + j], x[i * t + j], "unpicked positions keep their ids");
      }
    }
    double all = n * k;   // 6000 picks: a share's standard deviation is at most 0.0065, the bounds are >= 3 of them
    assertEquals(0.8, masked / all, 0.02, "[MASK] share");
    assertEquals(0.1, random / all, 0.02, "random-word share (a random word equal to the original counts as unchanged)");
    assertEquals(0.1, same / all, 0.02, "unchanged share");
    // uniform among the real tokens: positions 1..12 are real in every window, 13..19 in two windows of three
    double full = n * k * (1.0 / 3 / 12 + 2.0 / 3 / 19), part = n * k * (2.0 / 3 / 19);
    for (int p = 1; p <= 12; p++) assertEquals(full, picked[p], 0.25 * full, "position " + p);
    for (int p = 13; p < t; p++) assertEquals(part, picked[p], 0.25 * part, "position " + p);
    assertEquals(0, picked[0], "[CLS] is never masked");
  }

  @Test
  void remaskingDrawsNewPositionsOfTheSameText() {
    MaskedLmData.Vocabulary v = new MaskedLmData.Vocabulary(Tokenizer.fit(List.of(text(2000, 4)), 100));
    MaskedLmData.Windows w = MaskedLmData.windows(v.tokenizer().encode(text(2000, 5)), 16, v.cls());
    int k = MaskedLmData.maskedPositions(16);
    Dataset d = MaskedLmData.mask(w, v, k, new SplittableRandom(1));
    float[] before = d.input(2).toArray();
    MaskedLmData.remask(d, w, v, new SplittableRandom(2));
    assertNotEquals(Arrays.toString(before), Arrays.toString(d.input(2).toArray()), "new positions");
    float[] x = d.input(0).toArray(), pos = d.input(2).toArray(), y = d.targets().toArray();
    for (int i = 0; i < w.count(); i++) {
      for (int c = 0; c < k; c++) x[i * 16 + (int) pos[i * k + c]] = y[i * k + c];   // undo the masking
      for (int j = 0; j < 16; j++) assertEquals(w.ids()[i * 16 + j], x[i * 16 + j], "window " + i + " restored from its targets");
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaskedLmData.remask(d, w.first(3), v, new SplittableRandom(1)));
    assertTrue(e.getMessage().contains("not made by mask()"), e.getMessage());
  }

  @Test
  void aWindowWithTooFewTokensIsNamed() {
    MaskedLmData.Vocabulary v = new MaskedLmData.Vocabulary(Tokenizer.fit(List.of("a b c"), 10));
    int[] ids = {v.cls(), 2, 3, 4, 2, 3, 4, 2, v.cls(), 2, 0, 0, 0, 0, 0, 0};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MaskedLmData.mask(new MaskedLmData.Windows(ids, 2, 8), v, 2, new SplittableRandom(1)));
    assertTrue(e.getMessage().contains("window 1 has 1 real tokens"), e.getMessage());
  }

  @Test
  void paragraphsSplitAtBlankAndDotLines() {
    String dep5 = "Files: *\nCopyright: 2001 A. Person\nLicense: GPL-2+\n This program is free software;\n .\n you can redistribute it\n\n   \n...\n\nEnd here\n";
    assertEquals(List.of("Files: * Copyright: 2001 A. Person License: GPL-2+ This program is free software;", "you can redistribute it", "End here"),
        MaskedLmData.paragraphs(dep5), "'...' has no word and is dropped");
  }

  @Test
  void prepareDropsRepeatedParagraphsAndPacksWindows() {
    List<MaskedLmData.Document> docs = new ArrayList<>();
    String shared = "The same licence paragraph appears in many files, with its words.";
    for (int i = 0; i < 20; i++) docs.add(new MaskedLmData.Document("doc" + i, shared + "\n\n" + text(300, 10 + i) + "\n \n  " + shared.toUpperCase()));
    MaskedLmData.Corpus c = MaskedLmData.prepare(docs, 40, 12, 0.2, 3);
    assertEquals(20 * 12, c.paragraphs(), "per document: the shared paragraph, ten of 30 words, the shared one again");
    assertEquals(1 + 200, c.uniqueParagraphs(), "the shared paragraph once (upper case is the same words)");
    assertEquals(c.trainWords() / 11, c.train().count(), "windows of 11 words; the partial last one dropped");
    assertEquals(c.heldOutWords() / 11, c.heldOut().count());
    assertTrue(c.heldOutWords() > 0.1 * (c.trainWords() + c.heldOutWords()) && c.heldOutWords() < 0.3 * (c.trainWords() + c.heldOutWords()),
        c.heldOutWords() + " of " + (c.trainWords() + c.heldOutWords()) + " words held out (20% of the paragraphs)");
    assertEquals(42, c.vocabulary().tokenizer().size(), "40 words + <pad>, <oov>");
    for (MaskedLmData.Windows w : List.of(c.train(), c.heldOut()))
      for (int i = 0; i < w.count(); i++) {
        int[] win = w.window(i);
        assertEquals(c.vocabulary().cls(), win[0], "[CLS] first");
        for (int j = 1; j < win.length; j++) assertTrue(win[j] >= 1 && win[j] < c.vocabulary().mask(), "a word or <oov> at " + j);
      }
    MaskedLmData.Windows s = c.train().sample(50, 9);
    assertEquals(50, s.count());
    List<String> all = new ArrayList<>();
    for (int i = 0; i < c.train().count(); i++) all.add(Arrays.toString(c.train().window(i)));
    int last = -1;
    for (int i = 0; i < s.count(); i++) {
      int at = all.indexOf(Arrays.toString(s.window(i)));
      assertTrue(at > last, "sampled window " + i + " is a window of the corpus, after the previous one (distinct, in order)");
      last = at;
    }
    assertArrayEquals(s.ids(), c.train().sample(50, 9).ids(), "seeded");
    assertTrue(c.train().sample(c.train().count() + 1, 9) == c.train(), "asking for more than all: all");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaskedLmData.prepare(docs.subList(0, 1), 40, 400, 0.2, 3));
    assertTrue(e.getMessage().contains("no window of 399 words"), e.getMessage());
  }

  @Test
  void fineTuningSentencesStartWithClsAndMaskPadding() {
    MaskedLmData.Vocabulary v = new MaskedLmData.Vocabulary(Tokenizer.fit(List.of("free software licence terms"), 10));
    Dataset d = MaskedLmData.encodeWithCls(List.of(new LabelledText.Example(1, "Free software, unknown"), new LabelledText.Example(0,
        "licence terms free software licence terms")), v, 5);
    int cls = v.cls(), free = v.tokenizer().id("free"), sw = v.tokenizer().id("software"), lic = v.tokenizer().id("licence"), terms = v.tokenizer().id("terms");
    assertArrayEquals(new float[] {cls, free, sw, Tokenizer.OOV, 0, cls, lic, terms, free, sw}, d.input(0).toArray(), "[CLS], words, <oov>, padding; truncated");
    assertArrayEquals(new float[] {1, 1, 1, 1, 0, 1, 1, 1, 1, 1}, d.input(1).toArray());
    assertArrayEquals(new float[] {1, 0}, d.targets().toArray());
    assertEquals("[CLS]", v.token(cls));
    assertEquals("[MASK]", v.token(v.mask()));
    assertEquals("free", v.token(free));
  }
}
