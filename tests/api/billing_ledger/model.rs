//! Random walks of billing operations against an in-memory model of every
//! invoice's and bill's balance and status and every payment's and credit
//! note's unallocated money. After each step the receivable account must
//! equal the open invoices less unallocated payments and credit notes, the
//! payable account the open bills less unallocated supplier payments, and the
//! trial balance must balance.

mod ops;

use ops::{create_doc, step};

use reqwest::Response;
use serde_json::{Value, json};

use super::{account, all, balance_in, cents, role, tax_rate, trial_balance};
use crate::procurement::supplier;
use crate::sales::{Res, Shop, errors};

/// Fixed seeds, so a failure replays exactly.
const SEEDS: [u64; 3] = [
    0x9E37_79B9_7F4A_7C15,
    0x2545_F491_4F6C_DD1D,
    0xD1B5_4A32_D192_ED03,
];
const STEPS: usize = 40;
/// The tax rate, in hundredths of a percent (7.25 %): it rounds often.
const RATE: i64 = 725;

/// xorshift64.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: i64) -> i64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x % n.max(1) as u64) as i64
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, one_in: i64) -> bool {
        self.below(one_in) == 0
    }

    /// An amount to allocate against `most`: one time in `over` more than
    /// that, else often all of it (documents get paid off), else some.
    fn amount(&mut self, most: i64, over: i64) -> i64 {
        if self.chance(over) {
            most + self.between(1, 1_000)
        } else if self.chance(3) {
            most
        } else {
            self.between(1, most)
        }
    }

    /// One of `items`, if any.
    fn pick(&mut self, items: &[usize]) -> Option<usize> {
        (!items.is_empty()).then(|| items[self.below(items.len() as i64) as usize])
    }
}

/// Tax on a line's net amount in cents, rounded half-up to the cent.
fn tax(net: i64) -> i64 {
    (net * RATE + 5_000) / 10_000
}

/// `figure x part / whole` in cents, rounded half-up.
fn prorate(figure: i64, part: i64, whole: i64) -> i64 {
    (2 * figure * part + whole) / (2 * whole)
}

#[derive(Debug)]
struct Line {
    id: String,
    qty: i64,
    price: i64,
    taxed: bool,
    credited: i64,
}

/// An invoice or a bill.
#[derive(Debug)]
struct Doc {
    id: String,
    total: i64,
    /// Allocated from payments and credit notes.
    paid: i64,
    credited: i64,
    /// Credited by an amount at least once: the model then credits no lines.
    by_amount: bool,
    void: bool,
    lines: Vec<Line>,
}

impl Doc {
    fn balance(&self) -> i64 {
        self.total - self.paid
    }

    fn open(&self) -> bool {
        !self.void && self.paid < self.total
    }

    fn status(&self) -> &'static str {
        match (self.void, self.paid) {
            (true, _) => "void",
            (_, 0) => "issued",
            (_, p) if p == self.total => "paid",
            _ => "partially_paid",
        }
    }
}

/// A payment received or made.
#[derive(Debug)]
struct Pay {
    id: String,
    amount: i64,
    allocated: i64,
    refunded: i64,
    deleted: bool,
    /// `(document index, amount)`.
    allocs: Vec<(usize, i64)>,
}

impl Pay {
    fn unallocated(&self) -> i64 {
        self.amount - self.allocated - self.refunded
    }
}

#[derive(Debug)]
struct Credit {
    id: String,
    total: i64,
    allocated: i64,
}

/// One side of the books: the paths and keys of its documents and payments,
/// its party and its control account.
struct Side {
    docs: &'static str,
    pays: &'static str,
    party_key: &'static str,
    doc_key: &'static str,
    party: String,
    control: String,
    /// Bills' lines name an expense account.
    expense: Option<String>,
}

struct Ledger {
    side: Side,
    docs: Vec<Doc>,
    pays: Vec<Pay>,
}

impl Ledger {
    /// What the control account must hold: open balances less unallocated money.
    fn owed(&self) -> i64 {
        let open: i64 = self.docs.iter().filter(|d| !d.void).map(Doc::balance).sum();
        let live = self.pays.iter().filter(|p| !p.deleted);
        open - live.map(Pay::unallocated).sum::<i64>()
    }

    fn open_docs(&self) -> Vec<usize> {
        (0..self.docs.len())
            .filter(|&i| self.docs[i].open())
            .collect()
    }

    fn live_pays(&self) -> Vec<usize> {
        (0..self.pays.len())
            .filter(|&i| !self.pays[i].deleted)
            .collect()
    }
}

/// What the server must answer.
enum Want {
    Done(u16),
    Refused(&'static str),
    Invalid(String, Option<&'static str>),
}

const INVALID_STATE: Want = Want::Refused("invalid_state");

/// Checks the answer against `want`; returns its body.
async fn answer(res: Res<Response>, want: &Want, what: &str) -> Res<Value> {
    let res = res?;
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    match want {
        Want::Done(s) => assert_eq!(status, *s, "{what}: {body}"),
        Want::Refused(code) => {
            assert_eq!(
                (status, &body["code"]),
                (409, &json!(code)),
                "{what}: {body}"
            );
        }
        Want::Invalid(field, code) => {
            assert_eq!(
                (status, &body["code"]),
                (422, &json!("validation_failed")),
                "{what}: {body}"
            );
            let named = errors(&body);
            let found = named
                .iter()
                .any(|(f, c)| f == field && code.is_none_or(|k| c == k));
            assert!(found, "{what}: {field} {code:?} in {body}");
        }
    }
    Ok(body)
}

struct World {
    shop: Shop,
    rng: Rng,
    tax: String,
    ar: Ledger,
    ap: Ledger,
    credits: Vec<Credit>,
}

impl World {
    async fn open(seed: u64) -> Res<Self> {
        let shop = Shop::open().await?;
        shop.enterprise().await?;
        let tax = tax_rate(&shop, "7.25").await?;
        let vendor = supplier(&shop.app, &shop.owner, "Acme Supplies").await;
        let ar = Side {
            docs: "/api/v1/invoices",
            pays: "/api/v1/payments",
            party_key: "customer_id",
            doc_key: "invoice_id",
            party: shop.cust.clone(),
            control: role(&shop, "receivable_account_id").await?,
            expense: None,
        };
        let ap = Side {
            docs: "/api/v1/bills",
            pays: "/api/v1/supplier-payments",
            party_key: "supplier_id",
            doc_key: "bill_id",
            party: vendor,
            control: role(&shop, "payable_account_id").await?,
            expense: Some(account(&shop, "6010").await?),
        };
        let ledger = |side| Ledger {
            side,
            docs: Vec::new(),
            pays: Vec::new(),
        };
        let (ar, ap) = (ledger(ar), ledger(ap));
        Ok(Self {
            shop,
            rng: Rng(seed),
            tax,
            ar,
            ap,
            credits: Vec::new(),
        })
    }
}

/// Every row of a list by id; a row the list leaves out is read on its own.
async fn rows(shop: &Shop, path: &str, ids: &[&str]) -> Res<Vec<Value>> {
    let listed = all(shop, path).await?;
    let mut out = Vec::with_capacity(ids.len());
    for want in ids {
        match listed.iter().find(|r| r["id"] == *want) {
            Some(row) => out.push(row.clone()),
            None => out.push(shop.get(&format!("{path}/{want}")).await?),
        }
    }
    Ok(out)
}

/// The server agrees with the model on every document and payment of a side.
async fn check_side(shop: &Shop, l: &Ledger, what: &str) -> Res {
    let ids: Vec<&str> = l.docs.iter().map(|d| d.id.as_str()).collect();
    for (d, got) in l.docs.iter().zip(rows(shop, l.side.docs, &ids).await?) {
        assert_eq!(got["status"], d.status(), "{d:?} after {what}: {got}");
        if !d.void {
            assert_eq!(
                cents(&got["balance_due"])?,
                d.balance(),
                "{d:?} after {what}: {got}"
            );
        }
    }
    let ids: Vec<&str> = l.pays.iter().map(|p| p.id.as_str()).collect();
    for (p, got) in l.pays.iter().zip(rows(shop, l.side.pays, &ids).await?) {
        let status = if p.deleted { "deleted" } else { "posted" };
        assert_eq!(got["status"], status, "{p:?} after {what}: {got}");
        if !p.deleted {
            let keys = ["allocated_amount", "refunded_amount", "unallocated_amount"];
            let amounts = keys
                .iter()
                .map(|k| cents(&got[*k]))
                .collect::<Res<Vec<_>>>()?;
            assert_eq!(
                amounts,
                [p.allocated, p.refunded, p.unallocated()],
                "{p:?} after {what}: {got}"
            );
        }
    }
    Ok(())
}

/// Documents, credit notes and the control accounts agree with the model.
async fn check(w: &World, what: &str) -> Res {
    check_side(&w.shop, &w.ar, what).await?;
    check_side(&w.shop, &w.ap, what).await?;
    let ids: Vec<&str> = w.credits.iter().map(|c| c.id.as_str()).collect();
    for (c, got) in w
        .credits
        .iter()
        .zip(rows(&w.shop, "/api/v1/credit-notes", &ids).await?)
    {
        assert_eq!(
            cents(&got["unallocated_amount"])?,
            c.total - c.allocated,
            "{c:?} after {what}: {got}"
        );
    }
    let tb = trial_balance(&w.shop).await?;
    assert_eq!(tb["total_debit"], tb["total_credit"], "after {what}: {tb}");
    let credit: i64 = w.credits.iter().map(|c| c.total - c.allocated).sum();
    let receivable = balance_in(&tb, &w.ar.side.control)?;
    assert_eq!(receivable, w.ar.owed() - credit, "receivable after {what}");
    // A liability: credit less debit.
    let payable = -balance_in(&tb, &w.ap.side.control)?;
    assert_eq!(payable, w.ap.owed(), "payable after {what}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_billing_walks_keep_receivable_and_payable_equal_to_the_open_documents() -> Res {
    for seed in SEEDS {
        let mut w = World::open(seed).await?;
        let (shop, tax) = (&w.shop, w.tax.as_str());
        create_doc(shop, &mut w.rng, &mut w.ar, tax, "first invoice").await?;
        create_doc(shop, &mut w.rng, &mut w.ap, tax, "first bill").await?;
        for s in 0..STEPS {
            let what = format!("seed {seed:#x} step {s}");
            step(&mut w, &what).await?;
            check(&w, &what).await?;
        }
    }
    Ok(())
}
