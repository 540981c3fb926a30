//! The reports as CSV (RFC 4180), for `Accept: text/csv`: a header row,
//! then one row per account or total. Amounts are written as in JSON.

use crate::modules::accounting::dto::*;

/// A report as CSV: a header and one row per line of each section.
pub trait Csv {
    /// The CSV text (RFC 4180, CRLF line ends).
    fn to_csv(&self) -> String;
}

fn csv_field(s: &str) -> String {
    // A name a spreadsheet would run as a formula is quoted as text
    // (OWASP CSV injection); amounts ("-700.00") are numbers and stay.
    if s.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && crate::platform::money::parse_units(s).is_err()
    {
        return csv_field(&format!("'{s}"));
    }
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_line(out: &mut String, fields: &[&str]) {
    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

impl Csv for TrialBalanceOut {
    fn to_csv(&self) -> String {
        let mut out = String::new();
        csv_line(
            &mut out,
            &["code", "name", "type", "debit", "credit", "balance"],
        );
        for r in &self.accounts {
            csv_line(
                &mut out,
                &[
                    &r.code,
                    &r.name,
                    r.account_type.as_str(),
                    &r.debit.to_string(),
                    &r.credit.to_string(),
                    &r.balance.to_string(),
                ],
            );
        }
        csv_line(
            &mut out,
            &[
                "",
                "Total",
                "",
                &self.total_debit.to_string(),
                &self.total_credit.to_string(),
                "",
            ],
        );
        out
    }
}

fn section_csv(out: &mut String, name: &str, rows: &[ReportRowOut]) {
    for r in rows {
        let compare = r.compare_amount.map(|c| c.to_string()).unwrap_or_default();
        csv_line(
            out,
            &[name, &r.code, &r.name, &r.amount.to_string(), &compare],
        );
    }
}

impl Csv for ProfitAndLossOut {
    fn to_csv(&self) -> String {
        let mut out = String::new();
        csv_line(
            &mut out,
            &["section", "code", "name", "amount", "compare_amount"],
        );
        section_csv(&mut out, "income", &self.income);
        section_csv(&mut out, "expense", &self.expense);
        let compare = self
            .compare_net_profit
            .map(|c| c.to_string())
            .unwrap_or_default();
        csv_line(
            &mut out,
            &[
                "total",
                "",
                "Total income",
                &self.total_income.to_string(),
                "",
            ],
        );
        csv_line(
            &mut out,
            &[
                "total",
                "",
                "Total expense",
                &self.total_expense.to_string(),
                "",
            ],
        );
        csv_line(
            &mut out,
            &[
                "total",
                "",
                "Net profit",
                &self.net_profit.to_string(),
                &compare,
            ],
        );
        out
    }
}

impl Csv for BalanceSheetOut {
    fn to_csv(&self) -> String {
        let mut out = String::new();
        csv_line(
            &mut out,
            &["section", "code", "name", "amount", "compare_amount"],
        );
        section_csv(&mut out, "assets", &self.assets);
        section_csv(&mut out, "liabilities", &self.liabilities);
        section_csv(&mut out, "equity", &self.equity);
        csv_line(
            &mut out,
            &[
                "equity",
                "",
                "Current earnings",
                &self.current_earnings.to_string(),
                "",
            ],
        );
        csv_line(
            &mut out,
            &[
                "total",
                "",
                "Total assets",
                &self.total_assets.to_string(),
                "",
            ],
        );
        csv_line(
            &mut out,
            &[
                "total",
                "",
                "Total liabilities and equity",
                &self.total_liabilities_and_equity.to_string(),
                "",
            ],
        );
        out
    }
}
