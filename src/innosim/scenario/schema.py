"""The scenario schema: every setting a scenario file may hold, with its type, range and default.

The defaults are the baseline: the demonstration zone before integration, as the seed paper
(Chen Chen, Jiashan County Party School) describes it. Money is in million CNY (M CNY), time in
months. A scenario is data: this module imports nothing from the model.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, ConfigDict, Field, ValidationInfo, create_model, field_validator,
                      model_validator)
from pydantic_core import PydanticCustomError

from innosim.catalogue import PLACES as CATALOGUE_PLACES
from innosim.i18n import msg

from .regions import canonical_key, canonical_regions
from .types import (COUNTIES, PLACES, County, CountyCount, CountyFlag, CountyMoney, CountyPayment,  # noqa: F401
                    CountyPaymentOne, CountyShare, MonthlyPrice, Payment, Share, Strict, Taste, Weight, by_county,
                    by_county_values, county_values, per_county)


def _check_month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise ValueError(msg("must be a month written YYYY-MM, e.g. 2019-01"))
    return text


def month_label(start: str, month: int) -> str:
    """'2019-01' + 13 months -> '2020-02'."""
    year, mon = (int(x) for x in start.split("-"))
    total = year * 12 + (mon - 1) + month
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


class RunSettings(Strict):
    """When and how big: one step is one month."""

    start: Annotated[str, AfterValidator(_check_month)] = "2019-01"
    months: Annotated[int, Field(ge=1, le=600)] = 120
    scale: Annotated[float, Field(gt=0.0, le=10.0)] = Field(
        1.0, description="multiplies every population, capacity and budget together"
    )


class Population(Strict):
    """Initial agents at scale 1. Firms and talents are split across the counties by residents."""

    firms: Annotated[int, Field(ge=0, le=200_000)] = Field(
        3200, description="technology-based firms of the zone at the start (HNTEs, technology SMEs, other "
                          "R&D-performing firms): 2019-01, as the back-cast has them")
    hnte_share: Share = Field(
        0.35, description="share of the technology-based firms holding HNTE status at the start (2019-01, as the "
                          "back-cast has them; 2015-01: 0.5, HNTEs per registered technology SME: Jiashan 2021, "
                          "558 of 1,048; Suzhou 2022, 13,400 of 22,300)")
    talents: Annotated[int, Field(ge=0, le=1_000_000)] = 18300
    shanghai_talents: Annotated[int, Field(ge=0, le=200_000)] = 8000
    shanghai_firms: Annotated[int, Field(ge=0, le=200_000)] = 1000
    sectors: Annotated[int, Field(ge=1, le=20)] = 4
    incubators_per_county: Annotated[int, Field(ge=0, le=10)] = 1
    funds_per_county: Annotated[int, Field(ge=0, le=10)] = 1


class PlaceEconomy(Strict):
    """Prices and quality of one place (assumed orders of magnitude, 2019, M CNY per month)."""

    talent_wage: MonthlyPrice = Field(description="monthly wage of a key talent (R&D staff)")
    staff_wage: MonthlyPrice = Field(description="monthly wage of an ordinary employee")
    rent: Annotated[float, Field(ge=0.0, le=1.0)] = Field(description="monthly rent per employee")
    productivity: Annotated[float, Field(gt=0.0, le=100.0)] = Field(
        description="total factor productivity multiplier")
    provider_quality: Share = Field(description="quality of the place's R&D service providers")
    amenity: Taste = Field(0.0, description="talents' taste for living there, logit units")
    growth: Annotated[float, Field(ge=-0.2, le=0.3)] = Field(
        0.04, description="nominal trend of demand, prices, wages and rent, per year (calibrated to output growth)")
    productivity_growth: Annotated[float, Field(ge=-0.05, le=0.05)] = Field(
        0.003, description="real growth of total factor productivity per year; knowledge builds on it, so "
                           "firms' output grows about 1 / (1 - alpha - beta) times as fast")


def _default_places() -> dict[str, PlaceEconomy]:
    """Each place's prices and quality as the catalogue gives them (`innosim.catalogue.PLACES`)."""
    return {place.key: PlaceEconomy(**place.economy) for place in CATALOGUE_PLACES}


#: One section per place, keyed as the catalogue keys them.
Places = create_model("Places", __base__=Strict,
                      **{place.key: (PlaceEconomy, ...) for place in CATALOGUE_PLACES})


class Behaviour(Strict):
    """Free behavioural parameters: the ones calibration fits. Forms follow DESIGN.md section 3;
    docs/ODD.md gives each one's source, or says it is an assumption fitted by calibration."""

    # production: value added = P_r(t) * a_i * A_r * K^alpha * L^beta * lognormal shock, where L is
    # effective labour: ordinary staff plus talent_efficiency x the skills of the key talents
    alpha: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.25
    beta: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.6
    revenue_sigma: Annotated[float, Field(ge=0.0, le=2.0)] = 0.12
    input_share: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.65
    labour_adjustment: Share = 0.05
    talent_efficiency: Annotated[float, Field(gt=0.0, le=10.0)] = 2.0
    margin_median: Annotated[float, Field(ge=-0.2, le=0.3)] = Field(
        0.06, description="median after-tax margin of firms on the growth path (NBS 2019: 5.9 %)")
    margin_sigma: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        0.06, description="spread of initial after-tax margins (about 16 % of firms make a loss, NBS 2019)")
    firm_exit_hazard: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        0.01, description="yearly chance that a firm closes for reasons outside the model")
    # knowledge: K' = (1 - delta) K + N, N ~ Poisson(theta * R^gamma * S^(1-gamma) * (1 + bonus * collaboration))
    knowledge_depreciation: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.15, description="yearly depreciation of the knowledge stock (R&D capital, 15 %)")
    rd_intensity_median: Share = 0.03
    rd_intensity_sigma: Annotated[float, Field(ge=0.0, le=2.0)] = 0.5
    external_share: Share = 0.25
    provider_quality_weight: Weight = 3.0
    provider_distance_cost: Weight = 1.5
    voucher_weight: Weight = 4.0
    innovation_theta: Annotated[float, Field(ge=0.0, le=10.0)] = 0.7  # innovations per R&D input
    innovation_gamma: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    collaboration_bonus: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    hightech_step: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.12, description="share of the non-high-tech product mix an innovation per ten staff upgrades (below 1: "
                          "one innovation never upgrades every product)")
    product_obsolescence: Share = Field(0.15, description="yearly share of high-tech products that become ordinary")
    # certification
    hnte_first_approval: Share = Field(
        0.66, description="approval rate of first applications, the expert review of core IP and the evaluation "
                          "score (Suzhou 2024: over 66 %; Sichuan 2022: 4,630 of 6,989, 66 %)")
    hnte_pool_approval: Share = Field(
        0.92, description="approval rate of candidates coached in a county's cultivation pool (Jiading 2018: 92 % "
                          "of the 438 firms the district pre-screened and recommended)")
    hnte_renewal_approval: Share = Field(0.92, description="approval rate of renewals (Jiading 2018: 92 %)")
    ip_per_innovation: Share = Field(
        0.3, description="chance that an innovation becomes a registered intellectual property right (patent, "
                         "software copyright) a firm can cite as core IP (an assumption)")
    ip_grant_months: Annotated[float, Field(ge=1.0, le=60.0)] = Field(
        12.0, description="mean months from filing an IP right to its grant (an assumption between utility models, "
                          "about 6 months, and invention patents, 22.5 months in 2019: CNIPA)")
    rd_cost_elasticity: Annotated[float, Field(ge=0.0, le=3.0)] = Field(
        1.0, description="elasticity of R&D to its after-tax cost, long run (Bloom, Griffith & Van Reenen 2002: "
                         "about 1)")
    hnte_seeking_margin: Share = 0.004
    hnte_persistence: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        1.0, description="extra weight a certified firm gives to keeping its status (sunk compliance costs)")
    rd_relabelling: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.24, description="share of a threshold-seeking firm's reported R&D that is relabelled (Chen et al. 2021)")
    hnte_move_check_months: Annotated[int, Field(ge=1, le=24)] = Field(
        3, description="months the destination's check of a certified firm moving whole across a provincial line "
                       "takes where the certificate gets no equal treatment at once (Guokefahuo [2016] 32 art. 18, "
                       "195 give the procedure, not its length: assumption)")
    hnte_move_check_pass: Share = Field(
        0.9, description="chance that the destination's check keeps a moving firm's status (assumption)")
    # talents
    job_search_rate: Share = 0.02
    unemployed_search_rate: Share = 0.5
    talent_logit_scale: Annotated[float, Field(gt=0.0, le=50.0)] = 1.0
    talent_stay_bonus: Weight = 2.0
    talent_wage_weight: Weight = 3.0
    talent_distance_cost: Weight = 1.5
    recognition_penalty: Weight = 1.0
    equity_retention_weight: Weight = Field(
        0.5, description="weight, in a talent's job choices, of equity worth a year's wage (unvested equity keeps "
                         "a talent; a grant on offer draws one to the vacancy)")
    follow_employer_prob: Share = 0.7
    talent_arrival_rate: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        0.07, description="graduates and migrants arriving per year, as a share of the talents there are")
    talent_retirement: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        1.0 / 35.0, description="yearly chance that a talent retires (a 35-year career)")
    unemployed_leave_rate: Share = Field(0.08, description="monthly chance that an unemployed talent leaves for good")
    arrival_job_weight: Weight = 1.0
    migration_response: Annotated[float, Field(ge=0.0, le=12.0)] = Field(
        1.0, description="migrants drawn a year per key-talent position left open")
    # start-ups and incubation
    founding_rate: Share = Field(0.0019, description="monthly chance that a skilled talent founds a start-up")
    founding_skill_threshold: Annotated[float, Field(ge=0.0, le=5.0)] = 1.2
    founder_seed_capital: Payment = 0.5
    startup_productivity_sigma: Annotated[float, Field(ge=0.0, le=2.0)] = 0.3
    startup_knowledge: Annotated[float, Field(gt=0.0, le=100.0)] = 2.0
    incubation_months: Annotated[int, Field(ge=1, le=120)] = 30
    incubator_mentoring: Annotated[float, Field(ge=0.0, le=10.0)] = Field(0.5, description="extra innovation rate of an incubator's tenants")
    graduate_stay_bonus: Weight = 0.6
    graduate_space_bonus: Weight = 1.0
    graduate_subsidy_weight: Weight = 2.0
    shanghai_pull: Taste = 0.8
    # firms' entry, location and exit
    firm_entry_rate: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        0.02, description="firms entering each place from outside the four places, per year, as a share of its firms")
    tech_uptake_rate: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.15, description="local firms joining the technology base (taking up R&D, registering as technology "
                          "SMEs) per year, as a share of the place's technology-based firms, at the 2015 after-tax "
                          "cost of R&D, while potential adopters are many (calibrated on 2015-2019)")
    tech_base_ceiling: Annotated[float, Field(gt=0.0, le=100.0)] = Field(
        5.0, description="technology-based firms per 1,000 residents a place can hold when every potential "
                         "adopter has taken up R&D (an assumption: 2.6 times Suzhou's 2024 density of registered "
                         "technology SMEs, 24,300 for 12.95 million residents)")
    firm_stay_bonus: Weight = Field(
        7.0, description="firms' taste for staying put in their location review, logit units: sets how many move "
                         "(assumption bounded by public evidence: a handful of certified firms a year move between "
                         "the three counties; docs/ODD.md)")
    new_entity_rate: Share = Field(
        0.0025, description="yearly chance that a certified firm sets up a new legal entity in another county of the "
                           "zone (a partial move: the entity needs a certificate of its own, art. 18 of Guokefahuo "
                           "[2016] 32); an assumption bounded by public evidence (cases reported one by one), "
                           "sensitivity in docs/ODD.md")
    firm_tax_weight: Weight = 1.5
    firm_talent_weight: Weight = 0.8
    firm_rent_weight: Weight = 0.5
    firm_agglomeration_weight: Weight = 1.0
    firm_distance_weight: Weight = 0.8
    exit_negative_months: Annotated[int, Field(ge=1, le=60)] = 12
    # finance
    fund_screen_rate: Share = Field(0.3, description="yearly chance that a fund screens a given young firm it may invest in")
    fund_ticket: Payment = 2.0
    fund_holding_months: Annotated[int, Field(ge=1, le=240)] = 60
    fund_reservation: Taste = 0.5
    # technology market
    problem_post_rate: Share = 0.004
    solver_local_prob: Share = 0.5
    deal_threshold: Share = 0.7
    deal_value: Payment = 0.3
    # vouchers
    voucher_apply_prob: Share = 0.5
    voucher_additionality: Share = Field(
        0.8, description="share of vouchers that pay for an additional external project the firm would not have "
                         "bought (Dutch voucher lottery: about 8 in 10, Cornet, Vroomen & van der Steeg 2006)")
    voucher_link_months: Annotated[float, Field(ge=0.0, le=120.0)] = Field(
        6.0, description="mean life, in months, of the collaboration a voucher project starts (no effect left "
                         "after 12-18 months: Cornet et al. 2006; Bakhshi et al. 2013)")
    provider_acceptance_without_settlement: Share = 0.3

    @model_validator(mode="after")
    def _returns_to_scale(self) -> Behaviour:
        if self.alpha + self.beta > 1.0:
            raise ValueError(msg("alpha + beta must be at most 1 (decreasing returns), got {sum}",
                                 sum=f"{self.alpha + self.beta:g}"))
        return self


#: Where a county's vouchers can be spent: its own providers; plus Shanghai's core (Jiashan's
#: pre-integration Qianyi-platform measure, seed 1.3(1)); the zone; the zone and Shanghai's core.
VoucherScope = Literal["own_county", "own_county_shanghai", "zone", "zone_shanghai"]
#: Whose HNTE certificates a county treats as its own at once (no check) when a certified firm moves in
#: whole (any other keeps its certificate after the county's check, Guokefahuo [2016] 32 art. 18): its own province's;
#: also the other zone counties'; any (the zone and Shanghai's core, as Jiashan's pre-integration
#: equal treatment of every out-of-province HNTE within its validity, seed 1.3(1)).
HnteScope = Literal["own_province", "zone", "zone_shanghai"]


class Vouchers(Strict):
    """General-use innovation vouchers (科技创新券通用通兑); each county sets its own, Shanghai's core issues none."""

    budget: CountyMoney = Field(default_factory=lambda: {"qingpu": 12.0, "wujiang": 15.0, "jiashan": 8.0},
                                description="M CNY issued per county per year")
    subsidy_share: CountyShare = Field(0.5, description="share of a service's cost a county's voucher pays")
    cap_per_firm: CountyPaymentOne = Field(0.1, description="M CNY a county grants one firm a year at most")
    scope: per_county(VoucherScope) = Field("own_county", description="where a county's vouchers can be spent")
    cross_county_settlement: CountyFlag = Field(
        False, description="the issuing county settles with providers outside it, so they accept its vouchers")


class EquityIncentives(Strict):
    """Equity incentives for key staff with deferred personal income tax (股权激励)."""

    enabled: bool = False
    equity_share: Annotated[float, Field(ge=0.0, le=0.5)] = 0.1
    vesting_months: Annotated[int, Field(ge=1, le=120)] = 48
    tax_deferral: bool = False


class Incubation(Strict):
    """County incubators, post-incubation space and a subsidy for graduates who stay."""

    capacity: CountyCount = Field(default_factory=lambda: {"qingpu": 60.0, "wujiang": 70.0, "jiashan": 40.0},
                                  description="tenant places per county")
    post_incubation_space: CountyCount = Field(default_factory=lambda: {c: 0.0 for c in COUNTIES},
                                               description="graduate places offered per county per year")
    stay_subsidy: CountyPaymentOne = Field(
        0.0, description="M CNY the incubator's county pays a graduate that settles there")


class Finance(Strict):
    """Science finance: government-guided funds."""

    fund_capital: CountyMoney = Field(default_factory=lambda: {"qingpu": 150.0, "wujiang": 200.0, "jiashan": 100.0})
    cross_county_investment: CountyFlag = Field(
        False, description="the county's funds may invest in firms elsewhere in the zone")


class Brokers(Strict):
    """Technology brokers and the joint secretariat: reach of a technical problem's search for a solver."""

    cross_county_reach: Share = 0.15
    shanghai_reach: Share = 0.5


class HnteRewards(Strict):
    """County cash rewards for HNTE certification (e.g. Songjiang, Shanghai, 2024: 0.2 M CNY for a
    first certification, 0.05 M CNY for a renewal)."""

    first: CountyPayment = Field(default_factory=lambda: {c: 0.2 for c in COUNTIES},
                               description="M CNY paid by the county for a first certification")
    renewal: CountyPayment = Field(default_factory=lambda: {c: 0.05 for c in COUNTIES},
                                 description="M CNY paid by the county for a renewal")


class SuperDeduction(Strict):
    """The R&D super-deduction (研发费用加计扣除) from a month on: the extra share of R&D a firm deducts
    from taxable profit, by kind of firm; a firm takes the highest rate it qualifies for."""

    month: Annotated[str, AfterValidator(_check_month)] = Field(alias="from", description="first month, YYYY-MM")
    all_firms: Annotated[float, Field(ge=0.0, le=2.0)]
    manufacturer: Annotated[float, Field(ge=0.0, le=2.0)]
    tech_sme: Annotated[float, Field(ge=0.0, le=2.0)]

    model_config = ConfigDict(**Strict.model_config, validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)


def _super_deduction_history() -> list[SuperDeduction]:
    """The national timeline (sources in docs/ODD.md): 50 % from 2008 (EIT Law implementing
    regulation art. 95); 75 % for technology SMEs from 2017 (Caishui [2017] 34) and all firms from
    2018 (Caishui [2018] 99); 100 % for manufacturers from 2021 (MOF-STA announcement 2021 No. 13),
    technology SMEs from 2022 (2022 No. 16), all firms from 2023 (2023 No. 7)."""
    rows = [("2008-01", 0.5, 0.5, 0.5), ("2017-01", 0.5, 0.5, 0.75), ("2018-01", 0.75, 0.75, 0.75),
            ("2021-01", 0.75, 1.0, 0.75), ("2022-01", 0.75, 1.0, 1.0), ("2023-01", 1.0, 1.0, 1.0)]
    return [SuperDeduction(month=m, all_firms=a, manufacturer=mf, tech_sme=t) for m, a, mf, t in rows]


def _in_order(items: list) -> list:
    months = [item.month for item in items]
    if months != sorted(months) or len(set(months)) != len(months):
        raise ValueError(msg("entries must be in date order, one per month"))
    return items


class National(Strict):
    """National measures with their dates, the same in every county: inputs, never levers of the
    zone, and never fitted. Every scenario gets the real timeline; change it only to ask "what if"."""

    hnte_criteria_2016_from: Annotated[str, AfterValidator(_check_month)] = Field(
        "2016-01", description="month the HNTE criteria of Guokefahuo [2016] 32 replace those of Guokefahuo "
                               "[2008] 172 (R&D over sales of the smallest firms 6 % -> 5 %)")
    tech_sme_evaluation_from: Annotated[str, AfterValidator(_check_month)] = Field(
        "2017-01", description="month the national technology-SME evaluation starts (Guokefazheng [2017] 115; "
                               "its super-deduction applies to 2017)")
    rd_super_deduction: Annotated[list[SuperDeduction], Field(min_length=1, max_length=50),
                                  AfterValidator(_in_order)] = Field(
        default_factory=_super_deduction_history,
        description="the R&D super-deduction by kind of firm, each entry from its month on")


class Cultivation(Strict):
    """HNTE cultivation pools (高新技术企业培育库): candidates a county coaches towards the criteria."""

    capacity: CountyCount = Field(default_factory=lambda: {c: 0.0 for c in COUNTIES},
                                  description="firms a county keeps in its pool (Jiashan about 2021-22: over 240)")
    subsidy: CountyPayment = Field(default_factory=lambda: {c: 0.0 for c in COUNTIES},
                                 description="M CNY a year the county pays each firm in its pool")


class RdSubsidy(Strict):
    """County R&D expense subsidies (研发费用补助): a share of the R&D a firm reported last year above a
    threshold, capped per firm, paid in January (model/rd_subsidy.py). None in the baseline."""

    share: CountyShare = Field(0.0, description="share of last year's R&D above the threshold the county pays")
    threshold: CountyPayment = Field(default_factory=lambda: {c: 0.5 for c in COUNTIES},
                                     description="M CNY of R&D a year below which nothing is paid")
    cap_per_firm: CountyPayment = Field(default_factory=lambda: {c: 1.0 for c in COUNTIES},
                                        description="M CNY a county pays one firm a year at most")


class Policy(Strict):
    """The policy levers of DESIGN.md section 4; the defaults are the pre-integration baseline."""

    national: National = National()
    cultivation: Cultivation = Cultivation()

    hnte_mutual_recognition: CountyFlag = Field(
        False, description="the county gives the other zone counties' HNTE certificates equal treatment at once, "
                           "without a check (at least hnte_recognition zone)")
    hnte_recognition: per_county(HnteScope) = Field(
        "own_province", description="whose HNTE certificates the county treats as its own at once when a certified "
                                    "firm moves in whole (others keep theirs after the county's check)")
    hnte_reapply_wait_months: Annotated[int, Field(ge=0, le=60)] = Field(
        12, description="months a firm whose certificate a destination's check cancelled waits before applying "
                        "again (a whole move keeps the certificate: Guokefahuo [2016] 32 art. 18)")
    hnte_rewards: HnteRewards = HnteRewards()
    rd_subsidy: RdSubsidy = RdSubsidy()
    talent_programmes: CountyCount = Field(
        default_factory=lambda: {"qingpu": 40.0, "wujiang": 48.0, "jiashan": 20.0},
        description="high-end talents brought in by county talent programmes, persons a year")
    talent_recognition: CountyFlag = Field(
        False, description="the county recognises talent qualifications issued elsewhere in the zone")
    vouchers: Vouchers = Vouchers()
    equity_incentives: EquityIncentives = EquityIncentives()
    incubation: Incubation = Incubation()
    finance: Finance = Finance()
    brokers: Brokers = Brokers()


#: Agents (firms and talents, after run.scale) a scenario may ask for, and the memory each takes
#: (measured: about 550 bytes per firm, with talents and the tables they fill around them).
MAX_AGENTS = 2_000_000
BYTES_PER_AGENT = 600


def _population_fits(population: Population, info: ValidationInfo) -> Population:
    run = info.data.get("run")
    scale = run.scale if isinstance(run, RunSettings) else 1.0
    agents = round((population.firms + population.shanghai_firms + population.talents
                    + population.shanghai_talents) * scale)
    if agents > MAX_AGENTS:
        raise PydanticCustomError(
            "too_large", msg("firms and talents x run.scale = {agents} agents (about {gb} GB of memory), more than "
            "the limit of {limit}: lower run.scale or the population"),
            {"agents": f"{agents:,}", "gb": f"{agents * BYTES_PER_AGENT / 1e9:.1f}", "limit": f"{MAX_AGENTS:,}"})
    firms, talents = round(population.firms * scale), round(population.talents * scale)
    if (population.firms and firms < 1) or (population.talents and talents < 1):
        # a model without agents runs, and its reports would say "precision met" about nothing
        least = 1.0 / min(n for n in (population.firms, population.talents) if n)
        raise PydanticCustomError(
            "too_small", msg("run.scale {scale} leaves {firms} firms and {talents} talents in the zone: nothing to "
            "simulate; give a run.scale of at least {least}"),
            {"scale": f"{scale:g}", "firms": firms, "talents": talents, "least": f"{least:.2g}"})
    return population


class PolicyChange(Strict):
    """Policy settings that take new values from a month on (a dated change, for one county or all).

    ``set`` holds dotted keys under ``policy.`` (``policy.vouchers.scope.jiashan: zone_shanghai``),
    written as for ``--set``. Changes apply in date order and cumulate; one dated at or before
    ``run.start`` is in force from the start. The loader checks each value by applying it."""

    model_config = ConfigDict(**Strict.model_config, validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)

    month: Annotated[str, AfterValidator(_check_month)] = Field(
        alias="from", description="the first month the new values hold, YYYY-MM")
    note: str = Field("", description="what changed and why (a source), shown on reports and plots")
    settings: Annotated[dict[str, Any], Field(min_length=1)] = Field(
        alias="set", description="dotted policy keys and their new values")

    @field_validator("settings")
    @classmethod
    def _policy_only(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """Policy keys only (every other one named at once); places written in Chinese (``scope.嘉善``)
        read as the schema's keys."""
        bad = [key for key in settings
               if key.split(".")[0] != "policy" or len(key.split(".")) < 2 or not all(key.split("."))]
        if bad:
            raise ValueError(msg("{keys}: only policy settings (policy.<lever>...) can change during a run",
                                 keys=", ".join(bad)))
        canonical = {canonical_key(key): canonical_regions(value, "changes") for key, value in settings.items()}
        if len(canonical) < len(settings):
            raise ValueError(msg("a key is written twice, once with a place's Chinese name: keep one"))
        return canonical


class Scenario(Strict):
    """One validated scenario: what the model reads, and all it reads."""

    name: Annotated[str, Field(min_length=1)] = "unnamed"
    description: str = ""
    run: RunSettings = RunSettings()
    population: Annotated[Population, AfterValidator(_population_fits)] = Population()
    places: Places = Field(default_factory=lambda: Places(**_default_places()))
    behaviour: Behaviour = Behaviour()
    policy: Policy = Policy()
    changes: Annotated[list[PolicyChange], Field(max_length=240)] = Field(
        default_factory=list, description="dated policy changes")

    @model_validator(mode="after")
    def _arrivals_fit(self) -> Scenario:
        """Programme talents arrive every year: over the horizon they must fit in memory too."""
        population = self.population
        start = population.firms + population.shanghai_firms + population.talents + population.shanghai_talents
        arriving = sum(by_county_values(self.policy.talent_programmes)) * self.run.months / 12
        agents = round((start + arriving) * self.run.scale)
        if agents > MAX_AGENTS:
            raise PydanticCustomError(
                "too_large", msg("policy.talent_programmes: {arriving} programme talents over {months} months, with the "
                "population x run.scale, make {agents} agents, more than the limit of {limit}: lower "
                "talent_programmes, run.months or run.scale"),
                {"arriving": f"{arriving:,.0f}", "months": self.run.months, "agents": f"{agents:,}",
                 "limit": f"{MAX_AGENTS:,}"})
        return self

    def changes_in_order(self) -> list[tuple[int, PolicyChange]]:
        """(index in the file, change) in date order; changes of the same month in file order."""
        return sorted(enumerate(self.changes), key=lambda pair: pair[1].month)
