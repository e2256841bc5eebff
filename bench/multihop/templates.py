"""Sentence templates (documents) and question templates, several per relation.

Documents and questions word the same relation differently ("issues its own money"
in a document, "which currency circulates" in a question) so that lexical overlap
alone does not give the answer away. Placeholders are filled with ``str.format``.
"""

from __future__ import annotations

# ---- document sentences -------------------------------------------------------------

COUNTRY_CODES = (
    "In ISO 3166-1, {country} carries the alpha-3 code {a3} and the alpha-2 code {a2}.",
    "The three-letter ISO country code of {country} is {a3}; its two-letter code is {a2}.",
    "{country} is registered in ISO 3166-1 as {a3} (alpha-3) and {a2} (alpha-2).",
)
OFFICIAL_NAME = (
    "Its full official name is the {official}.",
    "Formally, {country} is styled the {official}.",
    "The long-form name of {country} is the {official}.",
)
SUBDIVISION_PREFIX = (
    "The ISO 3166-2 codes of its subdivisions start with {a2}.",
    "In ISO 3166-2, its subdivisions are coded {a2} followed by a local suffix.",
)
CURRENCY_OF = (
    "{country} issues its own money, the {cur} ({code}).",
    "The national currency of {country} is the {cur}, which ISO 4217 codes as {code}.",
    "{country}'s currency is the {cur}, abbreviated {code}.",
    "Payments in {country} are made in the {cur} ({code}), the national currency.",
)
SUBDIVISION_COUNT = (
    "ISO 3166-2 lists {n} first-level subdivisions for {country}, most of them {kinds}.",
    "For administration, {country} is divided into {n} first-level units, mainly {kinds}.",
)
CURRENCY_CODES = (
    "The {cur} is listed in ISO 4217 with the alphabetic code {code} and the numeric code {num}.",
    "ISO 4217 assigns the {cur} the letters {code} and the number {num}.",
    "{code} is the ISO 4217 code of the {cur}; its numeric code is {num}.",
)
CURRENCY_NEIGHBOURS = (
    "In the alphabetical list of ISO 4217 codes it sits between the {prev} ({pcode}) "
    "and the {next} ({ncode}).",
    "Its neighbours in the ISO 4217 code list are the {prev} ({pcode}) and the {next} ({ncode}).",
)
CURRENCY_FIRST = (
    "It heads the alphabetical ISO 4217 code list, followed by the {next} ({ncode}).",
)
CURRENCY_LAST = ("It closes the alphabetical ISO 4217 code list, after the {prev} ({pcode}).",)
TOP_SUBDIVISION = (
    "{sub} is {a_kind} of {country}.",
    "{sub} is one of the {kinds} of {country}.",
    "The {kind} of {sub} lies in {country}.",
    "{country} counts {sub} among its {kinds}.",
)
CHILD_SUBDIVISION = (
    "{sub} is {a_kind} in {parent}.",
    "{sub} is one of the {kinds} that make up {parent}.",
    "{parent} includes the {kind} of {sub}.",
)
SUBDIVISION_CODE = (
    "Its ISO 3166-2 code is {code}.",
    "ISO 3166-2 identifies it by the code {code}.",
)
SIBLINGS = (
    "Other {kinds} of {place} include {names}.",
    "{names} are also among the {kinds} of {place}.",
)
ONE_SIBLING = ("{name} is another {kind} of {place}.",)
PARENT_KIND = (
    "{parent} is itself {a_parent_kind}.",
    "{parent}, in turn, is a first-level {parent_kind}.",
)
CHILD_COUNT = (
    "{sub} is further divided into {n} {child_kinds}.",
    "ISO 3166-2 lists {n} {child_kinds} within {sub}.",
)
CHILD_COUNT_MIXED = (
    "{sub} is further divided into {n} units, mostly {child_kinds}.",
    "ISO 3166-2 lists {n} subdivisions within {sub}, most of them {child_kinds}.",
)

# ---- questions, by kind ------------------------------------------------------------
# 1 hop
Q_CURRENCY_OF_COUNTRY = (
    "Which currency does {country} issue?",
    "What money circulates in {country}?",
    "What is the national currency of {country}?",
)
Q_ALPHA3_OF_COUNTRY = (
    "What is the ISO 3166-1 alpha-3 code of {country}?",
    "Which three-letter country code does ISO assign to {country}?",
)
Q_OFFICIAL_OF_COUNTRY = (
    "What is the official long-form name of {country}?",
    "How is {country} styled formally?",
)
Q_COUNTRY_OF_TOP = (
    "Which country is {sub} part of?",
    "In which country does {sub} lie?",
    "{sub} is a subdivision of which country?",
)
Q_NUMERIC_OF_CURRENCY = (
    "What is the ISO 4217 numeric code of the {cur}?",
    "Which three-digit number identifies the {cur} in ISO 4217?",
)
Q_PARENT_OF_CHILD = (
    "Which larger subdivision contains {sub}?",
    "{sub} belongs to which first-level region of its country?",
)
# 2 hops
Q_CURRENCY_OF_TOP = (
    "What currency is used where {sub} is located?",
    "Which money is issued by the country that contains {sub}?",
    "In the country that {sub} belongs to, what is the national currency?",
    "What is the currency of the nation in which the {kind} of {sub} lies?",
)
Q_ALPHA3_OF_TOP = (
    "What is the three-letter ISO code of the country containing {sub}?",
    "Which ISO 3166-1 alpha-3 code belongs to the country where {sub} is?",
)
Q_OFFICIAL_OF_TOP = (
    "What is the formal name of the country that {sub} is part of?",
    "How is the state that contains {sub} officially styled?",
)
Q_NUMERIC_OF_COUNTRY = (
    "What is the ISO 4217 numeric code of the money that {country} issues?",
    "Which three-digit number identifies the national currency of {country}?",
)
Q_ALPHA3_OF_CURRENCY = (
    "What is the alpha-3 country code of the state that issues the {cur}?",
    "Which three-letter ISO code does the country whose national money is the {cur} have?",
)
Q_COUNTRY_OF_NUMERIC = (
    "Which country issues the currency with ISO 4217 numeric code {num}?",
    "The currency numbered {num} in ISO 4217 is the national money of which country?",
)
Q_COUNTRY_OF_CHILD = (
    "In which country is {sub} located?",
    "{sub} lies in which country?",
    "Which country does the {kind} of {sub} belong to?",
)
# 3 hops
Q_NUMERIC_OF_TOP = (
    "What is the ISO 4217 numeric code of the currency used where {sub} is located?",
    "Which three-digit number identifies the money of the country that contains {sub}?",
)
Q_CURRENCY_OF_CHILD = (
    "What currency is used in {sub}?",
    "Which money circulates in the country where the {kind} of {sub} lies?",
    "What is the national currency of the country that {sub} belongs to?",
)
Q_ALPHA3_OF_CHILD = (
    "What is the three-letter ISO code of the country in which {sub} lies?",
    "Which ISO 3166-1 alpha-3 code belongs to the country containing {sub}?",
)
Q_ALPHA3_OF_NUMERIC = (
    "What is the alpha-3 code of the country whose currency has ISO 4217 number {num}?",
    "Which three-letter country code belongs to the issuer of currency number {num}?",
)
