//! The gateway's admission rule: before a request is forwarded, an upper bound of its cost is
//! held against the member's budget window, so that many requests at once can never spend more
//! than the budget; after the answer, the hold is settled to the real cost.

use crate::money::{NanoUsd, UnitPrice};

/// The fewest output tokens worth lowering a request's cap to; below this it is refused.
pub const MIN_USEFUL_OUTPUT_TOKENS: u64 = 256;

/// What a model costs, per OpenRouter's `/models`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelPrices {
    /// Per input token.
    pub prompt: UnitPrice,
    /// Per output token.
    pub completion: UnitPrice,
    /// Per request, whatever its size.
    pub request: UnitPrice,
    /// The most input and output tokens together the model takes, when known.
    pub context_length: Option<u64>,
    /// The most output tokens the model writes, when known.
    pub max_output_tokens: Option<u64>,
}

/// The size of a request, as far as its cost goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestSize {
    /// An upper bound of its input tokens (a token is at least one byte of the request's text).
    pub input_tokens: u64,
    /// The output cap the request itself asks for (`max_tokens`), if any.
    pub asked_output_tokens: Option<u64>,
    /// The tier's cap on output tokens, if any.
    pub tier_output_cap: Option<u64>,
}

/// Where a member's budget window stands, holds included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpend {
    /// The tier's limit for the window; `None` for no limit.
    pub limit: Option<NanoUsd>,
    /// Settled spend so far in the window.
    pub settled: NanoUsd,
    /// Holds of requests still running.
    pub held: NanoUsd,
}

impl WindowSpend {
    /// What is left to hold, or `None` without a limit.
    pub fn remaining(&self) -> Option<NanoUsd> {
        self.limit
            .map(|limit| limit.saturating_sub(self.settled + self.held))
    }
}

/// The rule's decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Forward it, holding `hold`; when `output_cap` is set, the request's `max_tokens` is set
    /// to it (the tier's cap, the model's, or what the budget leaves).
    Admit {
        hold: NanoUsd,
        output_cap: Option<u64>,
    },
    /// Not even a useful answer fits in what remains.
    Refuse { remaining: NanoUsd },
}

/// The largest output a request may produce, before the budget is considered: the smallest of
/// what it asks, the tier's cap, the model's own limit and what its context leaves after the input.
fn output_bound(size: &RequestSize, prices: &ModelPrices) -> u64 {
    let left_in_context = prices
        .context_length
        .map(|context| context.saturating_sub(size.input_tokens).max(1));
    [
        size.asked_output_tokens,
        size.tier_output_cap,
        prices.max_output_tokens,
        left_in_context,
    ]
    .into_iter()
    .flatten()
    .min()
    // A model with no known limits: as much as a large context could hold.
    .unwrap_or(DEFAULT_OUTPUT_BOUND)
}

/// The output bound of a request to a model that states no limit and is given no cap.
const DEFAULT_OUTPUT_BOUND: u64 = 128_000;

/// The cost of a request of `input` and `output` tokens at `prices`, rounded up.
pub fn cost_bound(prices: &ModelPrices, input: u64, output: u64) -> NanoUsd {
    prices.request.times(1) + prices.prompt.times(input) + prices.completion.times(output)
}

/// The input tokens a request can bill: no more than the model's context holds.
fn billable_input(prices: &ModelPrices, size: &RequestSize) -> u64 {
    match prices.context_length {
        Some(context) => size.input_tokens.min(context),
        None => size.input_tokens,
    }
}

/// What a request costs at most before any budget lowers its output cap.
pub fn whole_bound(prices: &ModelPrices, size: &RequestSize) -> NanoUsd {
    cost_bound(
        prices,
        billable_input(prices, size),
        output_bound(size, prices),
    )
}

/// Decides whether a request of `size` to a model priced `prices` may go, against `window`.
pub fn admit(window: &WindowSpend, prices: &ModelPrices, size: &RequestSize) -> Admission {
    let input = billable_input(prices, size);
    let output = output_bound(size, prices);
    let cap_changed = |cap: u64| (size.asked_output_tokens != Some(cap)).then_some(cap);
    let full = cost_bound(prices, input, output);
    let whole = Admission::Admit {
        hold: full,
        output_cap: cap_changed(output).filter(|_| output != DEFAULT_OUTPUT_BOUND),
    };
    let Some(remaining) = window.remaining() else {
        return whole;
    };
    if full <= remaining {
        return whole;
    }
    let fixed = cost_bound(prices, input, 0);
    let affordable = prices
        .completion
        .units_within(remaining.saturating_sub(fixed))
        .min(output);
    if fixed > remaining || affordable < MIN_USEFUL_OUTPUT_TOKENS.min(output) {
        return Admission::Refuse { remaining };
    }
    Admission::Admit {
        hold: cost_bound(prices, input, affordable),
        output_cap: Some(affordable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// $1 per million input tokens, $4 per million output tokens.
    fn prices() -> ModelPrices {
        ModelPrices {
            prompt: UnitPrice::from_picos(1_000_000),
            completion: UnitPrice::from_picos(4_000_000),
            request: UnitPrice::FREE,
            context_length: Some(100_000),
            max_output_tokens: Some(16_000),
        }
    }

    fn dollars(d: f64) -> NanoUsd {
        NanoUsd::from_api(d)
    }

    fn window(limit: f64, settled: f64, held: f64) -> WindowSpend {
        WindowSpend {
            limit: Some(dollars(limit)),
            settled: dollars(settled),
            held: dollars(held),
        }
    }

    fn size(input: u64, asked: Option<u64>) -> RequestSize {
        RequestSize {
            input_tokens: input,
            asked_output_tokens: asked,
            tier_output_cap: None,
        }
    }

    #[test]
    fn each_request_against_each_window() {
        let table = [
            // 1,000 in + 1,000 out = $0.005: fits, the cap stays as asked.
            (
                window(10.0, 0.0, 0.0),
                size(1_000, Some(1_000)),
                Admission::Admit {
                    hold: dollars(0.005),
                    output_cap: None,
                },
            ),
            // No cap asked: bounded by the model's 16,000 output tokens, which becomes the cap.
            (
                window(10.0, 0.0, 0.0),
                size(1_000, None),
                Admission::Admit {
                    hold: dollars(0.001 + 0.064),
                    output_cap: Some(16_000),
                },
            ),
            // Holds of requests in flight count: $0.01 left is 2,250 output tokens after input.
            (
                window(10.0, 9.0, 0.99),
                size(1_000, Some(16_000)),
                Admission::Admit {
                    hold: dollars(0.001 + 0.009),
                    output_cap: Some(2_250),
                },
            ),
            // Less than a useful answer left.
            (
                window(10.0, 9.999, 0.0),
                size(1_000, Some(16_000)),
                Admission::Refuse {
                    remaining: dollars(0.001),
                },
            ),
            // Spent already.
            (
                window(10.0, 10.5, 0.0),
                size(10, Some(10)),
                Admission::Refuse {
                    remaining: NanoUsd::ZERO,
                },
            ),
            // No limit: always admitted, with the full bound held.
            (
                WindowSpend {
                    limit: None,
                    settled: dollars(1e6),
                    held: NanoUsd::ZERO,
                },
                size(1_000, Some(1_000)),
                Admission::Admit {
                    hold: dollars(0.005),
                    output_cap: None,
                },
            ),
        ];
        for (window, size, expected) in table {
            assert_eq!(
                admit(&window, &prices(), &size),
                expected,
                "{window:?} {size:?}"
            );
        }
    }

    #[test]
    fn the_context_and_the_tier_bound_the_output() {
        let tier_capped = RequestSize {
            tier_output_cap: Some(500),
            ..size(1_000, Some(4_000))
        };
        assert_eq!(
            admit(&window(10.0, 0.0, 0.0), &prices(), &tier_capped),
            Admission::Admit {
                hold: dollars(0.001 + 0.002),
                output_cap: Some(500),
            }
        );
        // 99,500 input tokens leave 500 of the 100,000 context for output.
        assert_eq!(
            admit(&window(10.0, 0.0, 0.0), &prices(), &size(99_500, None)),
            Admission::Admit {
                hold: dollars(0.0995 + 0.002),
                output_cap: Some(500),
            }
        );
    }

    #[test]
    fn a_cheap_model_is_capped_at_what_the_budget_really_buys() {
        // $0.0375 per million output tokens, 37.5 nano-dollars each: a thousandth of a dollar
        // buys 26,666 of them (not 26,315, as at a price rounded up to 38).
        let cheap = ModelPrices {
            prompt: UnitPrice::FREE,
            completion: UnitPrice::from_picos(37_500),
            request: UnitPrice::FREE,
            context_length: None,
            max_output_tokens: None,
        };
        assert_eq!(
            admit(&window(1.0, 0.999, 0.0), &cheap, &size(10, Some(100_000))),
            Admission::Admit {
                hold: NanoUsd::from_nanos(999_975),
                output_cap: Some(26_666),
            }
        );
    }

    #[test]
    fn a_free_model_costs_nothing_to_hold() {
        let free = ModelPrices {
            prompt: UnitPrice::FREE,
            completion: UnitPrice::FREE,
            ..prices()
        };
        assert_eq!(
            admit(&window(1.0, 1.0, 0.0), &free, &size(1_000, Some(100))),
            Admission::Admit {
                hold: NanoUsd::ZERO,
                output_cap: None,
            }
        );
    }

    #[test]
    fn concurrent_holds_never_add_up_past_the_limit() {
        let mut spend = window(0.05, 0.0, 0.0);
        let mut admitted = 0;
        for _ in 0..1_000 {
            if let Admission::Admit { hold, .. } =
                admit(&spend, &prices(), &size(1_000, Some(1_000)))
            {
                spend.held = spend.held + hold;
                admitted += 1;
            }
        }
        assert!(spend.held <= dollars(0.05), "{:?}", spend.held);
        assert_eq!(admitted, 10);
    }
}
