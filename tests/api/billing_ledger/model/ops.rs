//! The operations of the walk: each sends one request, checks the answer
//! the model predicts, and applies it to the model when it succeeded.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Credit, Doc, INVALID_STATE, Ledger, Line, Pay, Rng, Want, World, answer, prorate, tax,
};
use crate::billing_ledger::{cents, money};
use crate::sales::{Res, Shop, id, request, text};

/// Creates and issues an invoice or bill of 1-3 random lines.
pub(super) async fn create_doc(
    shop: &Shop,
    rng: &mut Rng,
    l: &mut Ledger,
    tax_id: &str,
    what: &str,
) -> Res {
    let (mut lines, mut body_lines, mut total) = (Vec::new(), Vec::new(), 0);
    for k in 0..rng.between(1, 3) {
        let (qty, price, taxed) = (rng.between(1, 3), rng.between(100, 15_000), rng.chance(2));
        let mut line = json!({ "description": format!("Line {k}"), "quantity": qty.to_string(), "unit_price": money(price) });
        if taxed {
            line["tax_rate_id"] = json!(tax_id);
        }
        if let Some(expense) = &l.side.expense {
            line["account_id"] = json!(expense);
        }
        total += qty * price + if taxed { tax(qty * price) } else { 0 };
        body_lines.push(line);
        lines.push(Line {
            id: String::new(),
            qty,
            price,
            taxed,
            credited: 0,
        });
    }
    let mut body = json!({ "issue": true, "lines": body_lines });
    body[l.side.party_key] = json!(l.side.party);
    let what = format!("{what}: POST {} {body}", l.side.docs);
    let doc = answer(shop.post(l.side.docs, body).await, &Want::Done(201), &what).await?;
    assert_eq!(
        (&doc["status"], cents(&doc["total"])?),
        (&json!("issued"), total),
        "{what}: {doc}"
    );
    for (k, line) in lines.iter_mut().enumerate() {
        line.id = text(&doc["lines"][k]["id"])?;
    }
    let (paid, credited, by_amount, void) = (0, 0, false, false);
    l.docs.push(Doc {
        id: id(&doc)?,
        total,
        paid,
        credited,
        by_amount,
        void,
        lines,
    });
    Ok(())
}

/// Voids an invoice: only one issued with nothing paid or credited.
async fn void(shop: &Shop, rng: &mut Rng, l: &mut Ledger, what: &str) -> Res {
    let all: Vec<usize> = (0..l.docs.len()).collect();
    let Some(i) = rng.pick(&all) else {
        return Ok(());
    };
    let doc = &mut l.docs[i];
    let voidable = !doc.void && doc.paid == 0 && doc.credited == 0;
    let want = if voidable {
        Want::Done(200)
    } else {
        INVALID_STATE
    };
    let path = format!("{}/{}/void", l.side.docs, doc.id);
    let what = format!("{what}: POST {path} ({doc:?})");
    let body = answer(shop.post(&path, json!({})).await, &want, &what).await?;
    if voidable {
        assert_eq!(body["status"], "void", "{what}: {body}");
        doc.void = true;
    }
    Ok(())
}

/// A credit note body for a random invoice, what it must answer, and on
/// success its total and the credited line and quantity.
fn credit_body(rng: &mut Rng, doc: &Doc) -> (Value, Want, i64, Option<(usize, i64)>) {
    let rest: Vec<usize> = (0..doc.lines.len())
        .filter(|&k| doc.lines[k].credited < doc.lines[k].qty)
        .collect();
    if doc.void {
        return (json!({ "amount": "1.00" }), INVALID_STATE, 0, None);
    }
    if let (false, true, Some(k)) = (doc.by_amount, rng.chance(2), rng.pick(&rest)) {
        let line = &doc.lines[k];
        let left = line.qty - line.credited;
        let q = if rng.chance(5) {
            left + 1
        } else {
            rng.between(1, left)
        };
        let body = json!({ "lines": [{ "invoice_line_id": line.id, "quantity": q.to_string() }] });
        if q > left {
            return (
                body,
                Want::Invalid("lines[0].quantity".into(), Some("over_credited")),
                0,
                None,
            );
        }
        // Tax credited so far is the line's tax prorated to the quantity
        // credited so far, so crediting a line in parts adds up exactly.
        let tax_to = |credited| {
            if line.taxed {
                prorate(tax(line.qty * line.price), credited, line.qty)
            } else {
                0
            }
        };
        let total = q * line.price + tax_to(line.credited + q) - tax_to(line.credited);
        return (body, Want::Done(201), total, Some((k, q)));
    }
    let left = doc.total - doc.credited;
    let amount = if left == 0 || rng.chance(5) {
        left + rng.between(1, 500)
    } else {
        rng.between(1, left)
    };
    let body = json!({ "amount": money(amount) });
    if amount > left {
        return (body, Want::Invalid("amount".into(), None), 0, None);
    }
    (body, Want::Done(201), amount, None)
}

/// A credit note of an amount or of some of a line; it pays its invoice's
/// balance first and leaves the rest as customer credit.
async fn credit_note(w: &mut World, what: &str) -> Res {
    // Half the time a paid invoice, when there is one: its credit is all
    // customer credit, to allocate later.
    let docs = &w.ar.docs;
    let paid: Vec<usize> = (0..docs.len())
        .filter(|&i| docs[i].status() == "paid")
        .collect();
    let all: Vec<usize> = (0..docs.len()).collect();
    let from = if !paid.is_empty() && w.rng.chance(2) {
        paid
    } else {
        all
    };
    let Some(i) = w.rng.pick(&from) else {
        return Ok(());
    };
    let doc = &mut w.ar.docs[i];
    let (mut body, want, total, line) = credit_body(&mut w.rng, doc);
    body["invoice_id"] = json!(doc.id);
    let what = format!("{what}: POST /api/v1/credit-notes {body} ({doc:?})");
    let note = answer(
        w.shop.post("/api/v1/credit-notes", body.clone()).await,
        &want,
        &what,
    )
    .await?;
    if !matches!(want, Want::Done(_)) {
        return Ok(());
    }
    let allocated = total.min(doc.balance());
    let got = [
        cents(&note["total"])?,
        cents(&note["allocated_amount"])?,
        cents(&note["unallocated_amount"])?,
    ];
    assert_eq!(got, [total, allocated, total - allocated], "{what}: {note}");
    (doc.paid, doc.credited) = (doc.paid + allocated, doc.credited + total);
    match line {
        Some((k, q)) => doc.lines[k].credited += q,
        None => doc.by_amount = true,
    }
    w.credits.push(Credit {
        id: id(&note)?,
        total,
        allocated,
    });
    Ok(())
}

/// A payment of 0-2 allocations to open documents; beyond a balance or the
/// amount, the whole payment is refused.
async fn payment(shop: &Shop, rng: &mut Rng, l: &mut Ledger, what: &str) -> Res {
    let mut open = l.open_docs();
    let mut allocs: Vec<(usize, i64)> = Vec::new();
    for _ in 0..rng.below(3).min(open.len() as i64) {
        let i = open.remove(rng.below(open.len() as i64) as usize);
        let balance = l.docs[i].balance();
        let a = rng.amount(balance, 8);
        allocs.push((i, a));
    }
    let sum: i64 = allocs.iter().map(|(_, a)| a).sum();
    let short = sum > 1 && rng.chance(6);
    let amount = if short {
        sum - rng.between(1, sum - 1)
    } else {
        sum + rng.between(100, 20_000)
    };
    let over = amount < sum || allocs.iter().any(|&(i, a)| a > l.docs[i].balance());
    let method = ["cash", "bank_transfer", "card", "other"][rng.below(4) as usize];
    let lines: Vec<Value> = allocs
        .iter()
        .map(|&(i, a)| {
            let mut alloc = json!({ "amount": money(a) });
            alloc[l.side.doc_key] = json!(l.docs[i].id);
            alloc
        })
        .collect();
    let mut body = json!({ "amount": money(amount), "method": method });
    body[l.side.party_key] = json!(l.side.party);
    if !lines.is_empty() {
        body["allocations"] = json!(lines);
    }
    let want = if over {
        Want::Refused("over_allocated")
    } else {
        Want::Done(201)
    };
    let what = format!("{what}: POST {} {body}", l.side.pays);
    let pay = answer(shop.post(l.side.pays, body).await, &want, &what).await?;
    if over {
        return Ok(());
    }
    assert_eq!(
        cents(&pay["unallocated_amount"])?,
        amount - sum,
        "{what}: {pay}"
    );
    for &(i, a) in &allocs {
        l.docs[i].paid += a;
    }
    let (allocated, refunded, deleted) = (sum, 0, false);
    l.pays.push(Pay {
        id: id(&pay)?,
        amount,
        allocated,
        refunded,
        deleted,
        allocs,
    });
    Ok(())
}

/// Allocates a payment's unallocated money to an open document.
async fn allocate(shop: &Shop, rng: &mut Rng, l: &mut Ledger, what: &str) -> Res {
    let credit: Vec<usize> = l
        .live_pays()
        .into_iter()
        .filter(|&p| l.pays[p].unallocated() > 0)
        .collect();
    let (Some(p), Some(i)) = (rng.pick(&credit), rng.pick(&l.open_docs())) else {
        return Ok(());
    };
    let most = l.pays[p].unallocated().min(l.docs[i].balance());
    let a = rng.amount(most, 5);
    let mut alloc = json!({ "amount": money(a) });
    alloc[l.side.doc_key] = json!(l.docs[i].id);
    let path = format!("{}/{}/allocate", l.side.pays, l.pays[p].id);
    let want = if a > most {
        Want::Refused("over_allocated")
    } else {
        Want::Done(200)
    };
    let what = format!(
        "{what}: POST {path} {alloc} ({:?} {:?})",
        l.pays[p], l.docs[i]
    );
    answer(
        shop.post(&path, json!({ "allocations": [alloc] })).await,
        &want,
        &what,
    )
    .await?;
    if a <= most {
        l.pays[p].allocated += a;
        l.pays[p].allocs.push((i, a));
        l.docs[i].paid += a;
    }
    Ok(())
}

/// Allocates a credit note's unallocated credit to an open invoice.
async fn allocate_credit(w: &mut World, what: &str) -> Res {
    let credit: Vec<usize> = (0..w.credits.len())
        .filter(|&c| w.credits[c].total > w.credits[c].allocated)
        .collect();
    let (Some(c), Some(i)) = (w.rng.pick(&credit), w.rng.pick(&w.ar.open_docs())) else {
        return Ok(());
    };
    let (note, doc) = (&mut w.credits[c], &mut w.ar.docs[i]);
    let most = (note.total - note.allocated).min(doc.balance());
    let a = w.rng.amount(most, 5);
    let body = json!({ "allocations": [{ "invoice_id": doc.id, "amount": money(a) }] });
    let path = format!("/api/v1/credit-notes/{}/allocate", note.id);
    let want = if a > most {
        Want::Refused("over_allocated")
    } else {
        Want::Done(200)
    };
    let what = format!("{what}: POST {path} {body} ({note:?} {doc:?})");
    answer(w.shop.post(&path, body).await, &want, &what).await?;
    if a <= most {
        note.allocated += a;
        doc.paid += a;
    }
    Ok(())
}

/// Refunds some of a payment's unallocated money; no more than that.
async fn refund(shop: &Shop, rng: &mut Rng, l: &mut Ledger, what: &str) -> Res {
    let Some(p) = rng.pick(&l.live_pays()) else {
        return Ok(());
    };
    let pay = &mut l.pays[p];
    let left = pay.unallocated();
    let a = if left == 0 || rng.chance(5) {
        left + rng.between(1, 1_000)
    } else {
        rng.between(1, left)
    };
    let path = format!("{}/{}/refund", l.side.pays, pay.id);
    let body = json!({ "amount": money(a), "reason": "Returned" });
    let want = if a > left {
        Want::Refused("over_refunded")
    } else {
        Want::Done(200)
    };
    let what = format!("{what}: POST {path} {body} ({pay:?})");
    answer(shop.post(&path, body).await, &want, &what).await?;
    if a <= left {
        pay.refunded += a;
    }
    Ok(())
}

/// Deletes a payment without refunds: its allocations come off its documents.
async fn delete(shop: &Shop, rng: &mut Rng, l: &mut Ledger, what: &str) -> Res {
    let all: Vec<usize> = (0..l.pays.len()).collect();
    let Some(p) = rng.pick(&all) else {
        return Ok(());
    };
    let pay = &mut l.pays[p];
    let deletable = !pay.deleted && pay.refunded == 0;
    let want = if deletable {
        Want::Done(204)
    } else {
        INVALID_STATE
    };
    let path = format!("{}/{}", l.side.pays, pay.id);
    let what = format!("{what}: DELETE {path} ({pay:?})");
    let res = request(&shop.app, Method::DELETE, &path, &shop.owner, None, &[]).await;
    answer(res, &want, &what).await?;
    if deletable {
        pay.deleted = true;
        for &(i, a) in &pay.allocs {
            l.docs[i].paid -= a;
        }
    }
    Ok(())
}

/// One random operation.
pub(super) async fn step(w: &mut World, what: &str) -> Res {
    let (shop, rng, tax) = (&w.shop, &mut w.rng, w.tax.as_str());
    match rng.below(24) {
        0..=2 => create_doc(shop, rng, &mut w.ar, tax, what).await,
        3 => void(shop, rng, &mut w.ar, what).await,
        4..=6 => credit_note(w, what).await,
        7..=9 => payment(shop, rng, &mut w.ar, what).await,
        10..=11 => allocate(shop, rng, &mut w.ar, what).await,
        12..=13 => allocate_credit(w, what).await,
        14..=15 => refund(shop, rng, &mut w.ar, what).await,
        16 => delete(shop, rng, &mut w.ar, what).await,
        17..=18 => create_doc(shop, rng, &mut w.ap, tax, what).await,
        19..=20 => payment(shop, rng, &mut w.ap, what).await,
        21 => refund(shop, rng, &mut w.ap, what).await,
        22 => allocate(shop, rng, &mut w.ap, what).await,
        _ => delete(shop, rng, &mut w.ap, what).await,
    }
}
