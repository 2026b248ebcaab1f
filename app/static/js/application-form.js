// Application form (申报书): add/remove repeatable rows, live budget totals, the
// management share against the call's cap, "预算合计 = 申请资助 + 配套资金", the matching
// ratio, and the phone section index. Everything here is a convenience: the server
// parses and checks every value again, and the form works without it.
(function () {
  "use strict";
  var form = document.querySelector("[data-application-form]");
  if (!form) { return; }
  form.classList.add("js-ready");

  // --- money in integer fen (never floats) ---------------------------------------
  // Accepts what the server accepts: half-width digits, up to two decimals, optional
  // thousands commas and ¥. Anything else is null ("cannot compute").
  function parseFen(text) {
    var s = String(text || "").trim().replace(/[,¥￥]/g, "").trim();
    if (!s) { return 0; }
    var m = /^([0-9]{1,13})(?:\.([0-9]{1,2}))?$/.exec(s);
    if (!m) { return null; }
    return parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  }
  function parseQty(text) {
    var s = String(text || "").trim();
    if (!s) { return 0; }
    return /^[0-9]{1,7}$/.test(s) ? parseInt(s, 10) : null;
  }
  function formatFen(fen) {
    if (fen === null || !isFinite(fen)) { return "—"; }
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    var yuan = Math.floor(fen / 100), cents = fen % 100;
    return sign + "¥" + yuan.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + (cents < 10 ? "0" : "") + cents;
  }

  var cap = parseInt(form.getAttribute("data-cap"), 10) || 0;
  var ratio = parseInt(form.getAttribute("data-ratio"), 10) || 0;
  var managementHead = form.getAttribute("data-management-head") || "管理费用";

  // Messages come from the page (translated there); {name} is replaced by a value.
  function msg(key, values) {
    var text = form.dataset[key] || "";
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(values[name]); });
    return text;
  }

  function setText(el, text, bad) {
    if (!el) { return; }
    el.textContent = text;
    el.classList.toggle("text-danger", !!bad);
    el.classList.toggle("fw-semibold", !!bad);
  }

  function recalc() {
    var total = 0, invalid = false, heads = {};
    form.querySelectorAll('[data-rows="budget_lines"] [data-row]').forEach(function (row) {
      var qtyInput = row.querySelector("[data-budget-qty]");
      var priceInput = row.querySelector("[data-budget-price]");
      var headInput = row.querySelector("[data-budget-head]");
      var out = row.querySelector("[data-line-amount]");
      var qty = parseQty(qtyInput && qtyInput.value);
      var price = parseFen(priceInput && priceInput.value);
      if (qty === null || price === null) {
        invalid = true;
        setText(out, msg("msgQty"), true);
        return;
      }
      var amount = qty * price;
      setText(out, amount ? formatFen(amount) : "—", false);
      total += amount;
      var head = headInput ? headInput.value : "";
      if (head) { heads[head] = (heads[head] || 0) + amount; }
    });
    setText(form.querySelector("[data-budget-total]"), invalid ? "—" : formatFen(total), invalid);
    form.querySelectorAll("[data-head-total]").forEach(function (out) {
      setText(out, invalid ? "—" : formatFen(heads[out.getAttribute("data-head-total")] || 0), false);
    });

    var management = heads[managementHead] || 0;
    var shareOut = form.querySelector("[data-mgmt-share]");
    if (invalid || total === 0) {
      setText(shareOut, "—", false);
    } else {
      var pct = management * 100 / total;
      setText(shareOut, pct.toFixed(1) + "%" + (pct > cap ? msg("msgOverCap") : ""), pct > cap);
    }

    var requestedInput = form.querySelector("[data-requested]");
    var matchingInput = form.querySelector("[data-matching]");
    var requested = parseFen(requestedInput && requestedInput.value);
    var matching = parseFen(matchingInput && matchingInput.value);
    var check = form.querySelector("[data-balance-check]");
    if (invalid || requested === null || matching === null) {
      setText(check, msg("msgBadAmounts"), true);
    } else {
      var diff = total - requested - matching;
      var sum = msg("msgBalance", {total: formatFen(total), requested: formatFen(requested),
                                   matching: formatFen(matching), sum: formatFen(requested + matching)});
      if (diff === 0) {
        setText(check, "✓ " + sum + msg("msgBalanceOk"), false);
      } else {
        setText(check, "✗ " + sum + msg("msgBalanceDiff", {diff: formatFen(Math.abs(diff))}), true);
      }
    }
    var matchingCheck = form.querySelector("[data-matching-check]");
    if (matchingCheck && requested !== null && matching !== null) {
      var minimum = Math.ceil(requested * ratio / 100);
      var short = matching < minimum;
      setText(matchingCheck, (short ? "✗ " : "✓ ") + msg("msgMatching", {minimum: formatFen(minimum), ratio: ratio}) +
        (short ? msg("msgMatchingShort", {short: formatFen(minimum - matching)}) : "。"), short);
    }
  }

  // --- repeatable rows -----------------------------------------------------------
  function nextIndex(container, name) {
    var pattern = new RegExp("^" + name + "-(\\d+)-");
    var max = -1;
    container.querySelectorAll("[name]").forEach(function (input) {
      var m = pattern.exec(input.getAttribute("name"));
      if (m) { max = Math.max(max, parseInt(m[1], 10)); }
    });
    return max + 1;
  }

  // Each input's accessible name starts with its row ("预算第 2 行 单价（元）"), numbered
  // by position like the server's messages: renumber after a row is added or removed.
  function renumber(container) {
    var pattern = container.getAttribute("data-row-pattern") || "{n}";
    var removePattern = container.getAttribute("data-remove-pattern") || "{row}";
    container.querySelectorAll("[data-row]").forEach(function (row, i) {
      var name = pattern.split("{n}").join(String(i + 1));
      row.querySelectorAll("[data-row-name]").forEach(function (el) { el.textContent = name + " "; });
      row.querySelectorAll("[data-label-suffix]").forEach(function (el) {
        el.setAttribute("aria-label", name + " " + el.getAttribute("data-label-suffix"));
      });
      var remove = row.querySelector("[data-remove-row]");
      if (remove) { remove.setAttribute("aria-label", removePattern.split("{row}").join(name)); }
    });
  }

  form.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.getAttribute("data-add-row");
      var container = form.querySelector('[data-rows="' + name + '"]');
      var template = form.querySelector('template[data-row-template="' + name + '"]');
      if (!container || !template) { return; }
      var html = template.innerHTML.replace(/__INDEX__/g, String(nextIndex(container, name)));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      container.appendChild(row);
      renumber(container);
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
      recalc();
    });
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) { return; }
    var row = button.closest("[data-row]");
    var container = row && row.parentElement;
    if (!row || !container) { return; }
    // The last row is emptied rather than removed, so there is always one to type in.
    if (container.querySelectorAll("[data-row]").length > 1) {
      // Keyboard users keep their place: focus moves to the row that takes this one's place.
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber(container);
      var target = next && next.querySelector("input, select, textarea");
      if (target) { target.focus(); }
    } else {
      row.querySelectorAll("input, select, textarea").forEach(function (input) {
        if (input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
      });
    }
    recalc();
  });

  form.addEventListener("input", recalc);
  form.addEventListener("change", recalc);
  recalc();

  // --- phone: the section index collapses after a jump and names where you are ----
  var toggle = document.querySelector("[data-section-toggle]");
  var smallIndex = document.getElementById("section-index-sm");
  if (toggle && smallIndex) {
    smallIndex.addEventListener("click", function (event) {
      if (event.target.closest("a") && smallIndex.classList.contains("show")) { toggle.click(); }
    });
  }
  var current = document.querySelector("[data-current-section]");
  if (current && "IntersectionObserver" in window) {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          var title = entry.target.querySelector(".section-title");
          if (title) { current.textContent = title.textContent.replace(/^\s*\d+\s*/, ""); }
        }
      });
    }, { rootMargin: "-30% 0px -60% 0px" });
    form.querySelectorAll(".form-section").forEach(function (section) { observer.observe(section); });
  }
})();
