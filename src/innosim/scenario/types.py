"""The field types the scenario schema's sections share: places, the strict base, per-county
settings (one value for all three counties or one each) and the physical bounds of numbers.

Every number has a physical bound, so that no legal value overflows the model's arithmetic; the
bounds are far beyond any real value, never the reason a "what if" is refused."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, WrapValidator

from innosim.catalogue import COUNTIES, PLACE_KEYS
from innosim.i18n import msg

#: The place keys, in index order (the catalogue's `PLACES` holds their facts).
PLACES: tuple[str, ...] = PLACE_KEYS

County = Literal[COUNTIES]


class Strict(BaseModel):
    """Base of every section: unknown keys are refused, types are not coerced from strings."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True, allow_inf_nan=False)


def _scalar_to_counties(value):
    """Let a planner write one number for all three counties (``budget: 10``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {c: value for c in COUNTIES}
    return value


def _all_counties(value: dict) -> dict:
    missing = [c for c in COUNTIES if c not in value]
    if missing:
        raise ValueError(msg("missing value for county {counties}", counties=", ".join(missing)))
    return {c: value[c] for c in COUNTIES}


def county_values(**constraints) -> object:
    """A per-county setting: a mapping qingpu/wujiang/jiashan -> number, or one number for all."""
    number = Annotated[float, Field(**constraints)]
    return Annotated[
        dict[County, number],
        BeforeValidator(_scalar_to_counties),
        AfterValidator(_all_counties),
    ]


def per_county(item: Any) -> Any:
    """A lever each county decides, of any kind (true/false, a choice, a number): one value for all
    three counties, or a mapping qingpu/wujiang/jiashan -> value. It is kept as the one value when
    the three agree, else as the full mapping (`by_county` reads either). A bad value is reported at
    the key a planner wrote: ``policy.vouchers.scope`` for one value, ``...scope.jiashan`` for a county's."""
    strict = ConfigDict(strict=True, allow_inf_nan=False)
    one, many = TypeAdapter(item, config=strict), TypeAdapter(dict[County, item], config=strict)

    def validate(value, handler):
        if not isinstance(value, dict):
            return one.validate_python(value)
        full = _all_counties(many.validate_python(value))
        first = full[COUNTIES[0]]
        return first if all(v == first and type(v) is type(first) for v in full.values()) else full

    return Annotated[item | dict[County, item], WrapValidator(validate)]


T = TypeVar("T")


def by_county_values(value: dict[str, float]) -> list[float]:
    """A per-county number's three values (qingpu, wujiang, jiashan)."""
    return [value[c] for c in COUNTIES]


def by_county(value: T | dict[str, T]) -> dict[str, T]:
    """A per-county setting as the mapping county -> value, whichever way it was written."""
    return {c: value[c] for c in COUNTIES} if isinstance(value, dict) else {c: value for c in COUNTIES}


# Every number has a physical bound, so that no legal value overflows the model's arithmetic (1e300 for
# a rent once crashed the process). The bounds are far beyond any real value: tens to thousands of
# times today's, never the reason a "what if" is refused.
Share = Annotated[float, Field(ge=0.0, le=1.0)]
#: A weight or bonus in a choice's utility, in logit units: exp(50) already decides every choice.
Weight = Annotated[float, Field(ge=0.0, le=50.0)]
#: A taste that may be negative (a place's amenity, Shanghai's pull), logit units.
Taste = Annotated[float, Field(ge=-50.0, le=50.0)]
#: A price per employee and month, M CNY (wages, rent: today about 0.001-0.02).
MonthlyPrice = Annotated[float, Field(gt=0.0, le=1.0)]
#: An amount paid to one firm or person, M CNY (a ticket, a reward, a subsidy: today 0.05-2).
Payment = Annotated[float, Field(ge=0.0, le=100.0)]
#: A county's yearly budget or capital, M CNY (vouchers 8-15 a year, funds 100-200 today).
CountyMoney = county_values(ge=0.0, le=100_000.0)
#: Places, pool seats or persons a year per county (incubator places 40-70, programme talents 20-48 today).
CountyCount = county_values(ge=0.0, le=10_000.0)
CountyPayment = county_values(ge=0.0, le=100.0)
CountyFlag = per_county(bool)
CountyShare = per_county(Share)
CountyPaymentOne = per_county(Payment)
