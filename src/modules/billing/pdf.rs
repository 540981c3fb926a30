//! Invoice, supplier-bill and credit-note PDFs from plain data.
//!
//! A4 pages written with `pdf-writer`, one embedded font (DejaVu Sans
//! Condensed, compiled in, subset to the glyphs each document uses), text
//! mapped back to Unicode through a `/ToUnicode` CMap so that search, copy
//! and PDF parsers see the real characters. No external process, no system
//! font, no floating layout engine: a small cursor that wraps text and
//! breaks the line table across pages, repeating its header.

use std::io::Write;

use flate2::{Compression, write::ZlibEncoder};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use crate::platform::error::AppError;

/// One line of the table.
#[derive(Debug, Clone, Default)]
pub struct PdfLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount: String,
    pub tax: String,
    pub total: String,
}

/// Everything printed on the document, already formatted as text.
#[derive(Debug, Clone, Default)]
pub struct PdfDocument {
    pub title: &'static str,       // "Invoice", "Supplier bill", "Credit note"
    pub number: String,            // INV-000001
    pub organization: String,      // the seller
    pub party_label: &'static str, // "Bill to" / "Supplier"
    pub party: String,
    pub issue_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    pub currency: String,
    pub status: String,
    pub lines: Vec<PdfLine>,
    pub subtotal: String,
    pub discount_total: String,
    pub tax_total: String,
    pub total: String,
    pub amount_paid: String,
    pub balance_due: String,
    pub notes: String,
}

const FONT_DATA: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansCondensed.ttf");
/// Subset fonts carry a six-letter tag before their name.
const FONT_NAME: &[u8] = b"MSTAYA+DejaVuSansCondensed";
const FONT_KEY: Name<'static> = Name(b"F1");

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - 50.0;
const TOP: f32 = PAGE_HEIGHT - 50.0;
const BOTTOM: f32 = 60.0;
const BODY: f32 = 9.0;
const LEADING: f32 = 11.5;
const GREY: f32 = 0.4;

/// Table columns: header, width, right-aligned.
const COLUMNS: [(&str, f32, bool); 6] = [
    ("Description", 185.28, false),
    ("Qty", 55.0, true),
    ("Unit price", 70.0, true),
    ("Discount", 60.0, true),
    ("Tax", 50.0, true),
    ("Total", 75.0, true),
];
const CELL_PAD: f32 = 6.0;
/// A cell longer than this (a row taller than a page) is cut, ending in "…".
const MAX_CELL_LINES: usize = 40;

/// Renders the document as PDF bytes.
pub fn render(doc: &PdfDocument) -> Result<Vec<u8>, AppError> {
    let face = Face::parse(FONT_DATA, 0).map_err(|e| internal("parse the embedded font", e))?;
    let mut page = Writer::new(Font::new(face));
    page.header(doc);
    page.table(&doc.lines);
    page.totals(doc);
    page.notes(&doc.notes);
    page.footers(&doc.number);
    page.finish(doc)
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("invoice PDF: cannot {what}: {e}"))
}

/// The embedded font: measures text and encodes it as glyph ids of the
/// subset, remembering which character each glyph stands for.
struct Font<'a> {
    face: Face<'a>,
    /// Font units to thousandths of the text size.
    scale: f32,
    remapper: GlyphRemapper,
    /// Character of each subset glyph id (index = new id).
    chars: Vec<char>,
}

impl<'a> Font<'a> {
    fn new(face: Face<'a>) -> Self {
        let scale = 1000.0 / f32::from(face.units_per_em().max(1));
        Self {
            face,
            scale,
            remapper: GlyphRemapper::new(),
            chars: vec!['\u{FFFD}'],
        }
    }

    /// The glyph drawn for `c` and the character it shows: a character
    /// the font lacks is drawn as `?`.
    fn glyph(&self, c: char) -> (GlyphId, char) {
        match self.face.glyph_index(c) {
            Some(g) => (g, c),
            None => (self.face.glyph_index('?').unwrap_or(GlyphId(0)), '?'),
        }
    }

    fn advance(&self, glyph: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0)) * self.scale
    }

    /// Width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let units: f32 = printable(text).map(|c| self.advance(self.glyph(c).0)).sum();
        units * size / 1000.0
    }

    /// Two bytes (the subset glyph id) per character.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in printable(text) {
            let (glyph, shown) = self.glyph(c);
            let id = self.remapper.remap(glyph.0);
            if usize::from(id) == self.chars.len() {
                self.chars.push(shown);
            }
            out.extend_from_slice(&id.to_be_bytes());
        }
        out
    }
}

/// The characters that are drawn: control characters are dropped, tabs
/// become spaces.
fn printable(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
}

/// Lays out pages top to bottom.
struct Writer<'a> {
    font: Font<'a>,
    pages: Vec<Content>,
    content: Content,
    /// Baseline of the next line.
    y: f32,
}

impl<'a> Writer<'a> {
    fn new(font: Font<'a>) -> Self {
        Self {
            font,
            pages: Vec::new(),
            content: Content::new(),
            y: TOP,
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let encoded = self.font.encode(text);
        let c = &mut self.content;
        c.save_state();
        if bold {
            c.set_line_width(size / 30.0);
        }
        c.begin_text();
        c.set_font(FONT_KEY, size);
        if bold {
            c.set_text_rendering_mode(TextRenderingMode::FillStroke);
        }
        c.next_line(x, y);
        c.show(Str(&encoded));
        c.end_text();
        c.restore_state();
    }

    fn text_right(&mut self, right: f32, y: f32, size: f32, bold: bool, text: &str) {
        let x = right - self.font.width(text, size);
        self.text(x, y, size, bold, text);
    }

    fn grey_text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.content.set_fill_gray(GREY);
        self.text(x, y, size, false, text);
        self.content.set_fill_gray(0.0);
    }

    /// A horizontal line from `x` to the right margin.
    fn rule(&mut self, x: f32, y: f32, gray: f32, width: f32) {
        let c = &mut self.content;
        c.save_state();
        c.set_stroke_gray(gray);
        c.set_line_width(width);
        c.move_to(x, y);
        c.line_to(RIGHT, y);
        c.stroke();
        c.restore_state();
    }

    /// Starts a new page unless `height` still fits above the bottom margin;
    /// true if it did.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y - height >= BOTTOM {
            return false;
        }
        let full = std::mem::replace(&mut self.content, Content::new());
        self.pages.push(full);
        self.y = TOP;
        true
    }

    /// Greedy word wrap to `width` points; words wider than a line are cut.
    fn wrap(&self, text: &str, width: f32, size: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.font.width(&candidate, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if self.font.width(&line, size) > width && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::replace(&mut line, c.to_string()));
                    }
                }
            }
            lines.push(line);
        }
        lines
    }

    /// Title, number, seller, party and dates.
    fn header(&mut self, doc: &PdfDocument) {
        let top = self.y;
        self.text(LEFT, top - 12.0, 22.0, true, doc.title);
        self.text_right(RIGHT, top - 6.0, 13.0, true, &doc.number);
        self.grey_text(RIGHT - 150.0, top - 22.0, BODY, "Status");
        self.text_right(RIGHT, top - 22.0, BODY, false, &doc.status);
        self.y = top - 42.0;
        for line in self.wrap(&doc.organization, RIGHT - LEFT, 12.0) {
            self.text(LEFT, self.y, 12.0, true, &line);
            self.y -= 15.0;
        }
        self.y -= 12.0;
        let block = self.y;
        self.grey_text(LEFT, block, BODY, doc.party_label);
        let mut y = block - 14.0;
        for line in self.wrap(&doc.party, 260.0, 11.0) {
            self.text(LEFT, y, 11.0, false, &line);
            y -= 13.5;
        }
        let dates = [
            ("Issue date", doc.issue_date.to_string()),
            ("Due date", doc.due_date.to_string()),
            ("Currency", doc.currency.clone()),
        ];
        let mut right_y = block;
        for (label, value) in dates {
            self.grey_text(RIGHT - 150.0, right_y, BODY, label);
            self.text_right(RIGHT, right_y, BODY, false, &value);
            right_y -= 14.0;
        }
        self.y = y.min(right_y) - 16.0;
    }

    fn table_header(&mut self) {
        let mut x = LEFT;
        for (label, width, right) in COLUMNS {
            if right {
                self.text_right(x + width, self.y, BODY, true, label);
            } else {
                self.text(x, self.y, BODY, true, label);
            }
            x += width;
        }
        self.rule(LEFT, self.y - 5.0, 0.0, 0.8);
        self.y -= 5.0 + LEADING + 2.0;
    }

    /// The line table; continues on new pages, repeating its header.
    fn table(&mut self, lines: &[PdfLine]) {
        self.ensure(3.0 * LEADING);
        self.table_header();
        for line in lines {
            self.table_row(line);
        }
        self.y -= 8.0;
    }

    fn table_row(&mut self, line: &PdfLine) {
        let cells = [
            &line.description,
            &line.quantity,
            &line.unit_price,
            &line.discount,
            &line.tax,
            &line.total,
        ];
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(COLUMNS)
            .map(|(cell, (_, width, _))| self.cell_lines(cell, width - CELL_PAD))
            .collect();
        let rows = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let height = rows as f32 * LEADING + 4.0;
        if self.ensure(height) {
            self.table_header();
        }
        let mut x = LEFT;
        for (cell, (_, width, right)) in wrapped.iter().zip(COLUMNS) {
            for (i, text) in cell.iter().enumerate() {
                let y = self.y - i as f32 * LEADING;
                if right {
                    self.text_right(x + width, y, BODY, false, text);
                } else {
                    self.text(x, y, BODY, false, text);
                }
            }
            x += width;
        }
        self.rule(LEFT, self.y - height + LEADING - 1.0, 0.8, 0.5);
        self.y -= height;
    }

    /// A cell's wrapped lines, cut (ending in "…") if taller than a page.
    fn cell_lines(&self, text: &str, width: f32) -> Vec<String> {
        let mut lines = self.wrap(text, width, BODY);
        if lines.len() > MAX_CELL_LINES {
            lines.truncate(MAX_CELL_LINES);
            lines.push("\u{2026}".to_string());
        }
        lines
    }

    /// Subtotal to balance due, right-aligned, with the currency.
    fn totals(&mut self, doc: &PdfDocument) {
        let rows = [
            ("Subtotal", &doc.subtotal, false),
            ("Discount", &doc.discount_total, false),
            ("Tax", &doc.tax_total, false),
            ("Total", &doc.total, true),
            ("Paid", &doc.amount_paid, false),
            ("Balance due", &doc.balance_due, true),
        ];
        self.ensure(rows.len() as f32 * 15.0 + 10.0);
        let label_x = RIGHT - 220.0;
        for (label, value, bold) in rows {
            let value = format!("{value} {}", doc.currency);
            let size = if bold { 10.5 } else { BODY };
            if bold {
                self.text(label_x, self.y, size, true, label);
            } else {
                self.grey_text(label_x, self.y, size, label);
            }
            self.text_right(RIGHT, self.y, size, bold, &value);
            if label == "Total" {
                self.rule(label_x, self.y + 13.0, 0.0, 0.6);
            }
            self.y -= 15.0;
        }
        self.y -= 10.0;
    }

    /// The notes, wrapped to the page width, continuing on new pages.
    fn notes(&mut self, notes: &str) {
        if notes.trim().is_empty() {
            return;
        }
        self.ensure(2.0 * LEADING + 4.0);
        self.grey_text(LEFT, self.y, BODY, "Notes");
        self.y -= LEADING + 2.0;
        for line in self.wrap(notes.trim(), RIGHT - LEFT, BODY) {
            self.ensure(LEADING);
            self.text(LEFT, self.y, BODY, false, &line);
            self.y -= LEADING;
        }
    }

    /// "INV-000001 · Page 1 of 3" at the foot of every page.
    fn footers(&mut self, number: &str) {
        let last = std::mem::replace(&mut self.content, Content::new());
        self.pages.push(last);
        let count = self.pages.len();
        let mut pages = std::mem::take(&mut self.pages);
        for (i, page) in pages.iter_mut().enumerate() {
            std::mem::swap(&mut self.content, page);
            let footer = format!("{number} \u{00B7} Page {} of {count}", i + 1);
            let x = (PAGE_WIDTH - self.font.width(&footer, 8.0)) / 2.0;
            self.content.set_fill_gray(GREY);
            self.text(x, 30.0, 8.0, false, &footer);
            std::mem::swap(&mut self.content, page);
        }
        self.pages = pages;
    }

    /// Writes the pages, the subset font and its Unicode map.
    fn finish(self, doc: &PdfDocument) -> Result<Vec<u8>, AppError> {
        let mut pdf = Pdf::new();
        let mut next = Ref::new(1);
        let mut alloc = || next.bump();
        let (catalog, tree, info) = (alloc(), alloc(), alloc());
        let (font, cid_font, descriptor, font_file, cmap) =
            (alloc(), alloc(), alloc(), alloc(), alloc());
        let page_ids: Vec<(Ref, Ref)> = self.pages.iter().map(|_| (alloc(), alloc())).collect();

        pdf.catalog(catalog).pages(tree);
        let title = format!("{} {}", doc.title, doc.number);
        pdf.document_info(info)
            .title(TextStr(&title))
            .producer(TextStr("Mainstay"));
        pdf.pages(tree)
            .kids(page_ids.iter().map(|(page, _)| *page))
            .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
        for ((page_id, content_id), content) in page_ids.iter().zip(self.pages) {
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
            page.parent(tree);
            page.contents(*content_id);
            page.resources().fonts().pair(FONT_KEY, font);
            page.finish();
            let data = deflate(&content.finish())?;
            pdf.stream(*content_id, &data).filter(Filter::FlateDecode);
        }
        write_font(
            &mut pdf,
            &self.font,
            [font, cid_font, descriptor, font_file, cmap],
        )?;
        Ok(pdf.finish())
    }
}

/// The Type0 font, its CID font with widths, descriptor, subset file and
/// `/ToUnicode` map.
fn write_font(pdf: &mut Pdf, font: &Font, ids: [Ref; 5]) -> Result<(), AppError> {
    let [type0, cid_font, descriptor, file, cmap] = ids;
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(Name(FONT_NAME))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(cmap);

    let widths: Vec<f32> = font
        .remapper
        .remapped_gids()
        .map(|old| font.advance(GlyphId(old)))
        .collect();
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type2)
        .base_font(Name(FONT_NAME))
        .system_info(system)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths().consecutive(0, widths);
    cid.finish();

    let face = &font.face;
    let s = font.scale;
    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(Name(FONT_NAME))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * s,
            f32::from(bbox.y_min) * s,
            f32::from(bbox.x_max) * s,
            f32::from(bbox.y_max) * s,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(face.ascender()) * s)
        .descent(f32::from(face.descender()) * s)
        .cap_height(f32::from(face.capital_height().unwrap_or(face.ascender())) * s)
        .stem_v(80.0)
        .font_file2(file);

    let subset = subsetter::subset(FONT_DATA, 0, &font.remapper)
        .map_err(|e| internal("subset the font", e))?;
    let data = deflate(&subset)?;
    pdf.stream(file, &data).filter(Filter::FlateDecode).pair(
        Name(b"Length1"),
        i32::try_from(subset.len()).unwrap_or(i32::MAX),
    );

    let mut map = UnicodeCmap::new(Name(b"Mainstay-UTF16"), system);
    for (id, c) in font.chars.iter().enumerate().skip(1) {
        if let Ok(id) = u16::try_from(id) {
            map.pair(id, *c);
        }
    }
    pdf.cmap(cmap, &map.finish());
    Ok(())
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, AppError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(data)
        .map_err(|e| internal("compress", e))?;
    encoder.finish().map_err(|e| internal("compress", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Res = Result<(), Box<dyn std::error::Error>>;

    fn document(lines: usize) -> PdfDocument {
        let line = |i| PdfLine {
            description: format!("Consulting hours, item {i}"),
            quantity: "2.0000".into(),
            total: "220.00".into(),
            ..PdfLine::default()
        };
        PdfDocument {
            title: "Invoice",
            number: "INV-000042".into(),
            organization: "Acme Trading Ltd".into(),
            party_label: "Bill to",
            party: "Zoë Müller & Søn".into(),
            currency: "EUR".into(),
            lines: (1..=lines).map(line).collect(),
            total: "1234.56".into(),
            notes: "Payment by bank transfer.\nThank you for your business.".into(),
            ..PdfDocument::default()
        }
    }

    /// The text lopdf extracts from every page, and the page count.
    fn extract(doc: &PdfDocument) -> Result<(String, usize), Box<dyn std::error::Error>> {
        let pdf = lopdf::Document::load_mem(&render(doc)?)?;
        let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
        Ok((pdf.extract_text(&pages)?, pages.len()))
    }

    #[test]
    fn extracted_text_holds_the_number_and_the_total() -> Res {
        let (text, pages) = extract(&document(3))?;
        assert_eq!(pages, 1);
        assert!(text.contains("INV-000042"), "{text}");
        assert!(text.contains("1234.56"), "{text}");
        Ok(())
    }

    #[test]
    fn non_ascii_text_is_extracted_as_written() -> Res {
        let (text, _) = extract(&document(1))?;
        assert!(text.contains("Zoë Müller & Søn"), "{text}");
        Ok(())
    }

    #[test]
    fn two_hundred_lines_continue_over_several_pages() -> Res {
        let (text, pages) = extract(&document(200))?;
        assert!(pages >= 4, "{pages} pages");
        assert!(text.contains("item 200"), "last line missing");
        assert!(text.contains(&format!("Page {pages} of {pages}")));
        Ok(())
    }

    #[test]
    fn the_font_is_embedded_as_a_small_subset() -> Res {
        let bytes = render(&document(3))?;
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.len() < 40_000, "{} bytes", bytes.len());
        Ok(())
    }

    #[test]
    fn a_word_wider_than_its_column_is_cut_across_lines() -> Res {
        let mut doc = document(1);
        doc.lines[0].description = "x".repeat(500);
        let (text, _) = extract(&doc)?;
        assert!(text.contains("xxxxxxxx"));
        Ok(())
    }

    #[test]
    fn characters_the_font_lacks_are_drawn_as_question_marks() -> Res {
        let mut doc = document(1);
        doc.notes = "Danke \u{65E5}\u{7}".into();
        let (text, _) = extract(&doc)?;
        assert!(text.contains("Danke ?"), "{text}");
        Ok(())
    }

    #[test]
    fn a_row_taller_than_a_page_is_cut() -> Res {
        let mut doc = document(1);
        doc.lines[0].description = "word ".repeat(3000);
        let (text, pages) = extract(&doc)?;
        assert!(text.contains('\u{2026}'));
        assert!(pages <= 2, "{pages} pages");
        Ok(())
    }
}
