"""Factories for aggregate metadata: options, categories, combos, data elements, data sets."""

import factory

from doha.aggregate import services
from doha.aggregate.models import (
    Category,
    CategoryCombo,
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    DataElement,
    DataSet,
    DataSetElement,
    PeriodType,
    ValueType,
)


class CategoryOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CategoryOption

    name = factory.Sequence(lambda n: f"Lựa chọn {n}")
    code = factory.Sequence(lambda n: f"OPT{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Nhóm {n}")
    code = factory.Sequence(lambda n: f"CAT{n}")

    @factory.post_generation
    def options(self, create, extracted, **kwargs):
        for order, option in enumerate(extracted or []):
            CategoryMembership.objects.create(category=self, option=option, sort_order=order)


class CategoryComboFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CategoryCombo
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Phân tổ {n}")
    code = factory.Sequence(lambda n: f"CC{n}")

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        for order, category in enumerate(extracted or []):
            CategoryComboMembership.objects.create(combo=self, category=category, sort_order=order)
        if extracted:
            services.generate_option_combos(self)


def sex_combo():
    """Giới tính: Nam, Nữ, with its two option combos."""
    male = CategoryOptionFactory(name="Nam", code="SEX_M")
    female = CategoryOptionFactory(name="Nữ", code="SEX_F")
    sex = CategoryFactory(name="Giới tính", code="CAT_SEX", options=[male, female])
    return CategoryComboFactory(name="Giới tính", code="CC_SEX", categories=[sex])


class DataElementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataElement

    name = factory.Sequence(lambda n: f"Chỉ tiêu {n}")
    short_name = factory.Sequence(lambda n: f"CT {n}")
    code = factory.Sequence(lambda n: f"DE{n}")
    value_type = ValueType.INTEGER_ZERO_OR_POSITIVE
    category_combo = factory.LazyFunction(services.default_combo)


class DataSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSet
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Bộ dữ liệu {n}")
    code = factory.Sequence(lambda n: f"DS{n}")
    period_type = PeriodType.MONTHLY
    category_combo = factory.LazyFunction(services.default_combo)

    @factory.post_generation
    def elements(self, create, extracted, **kwargs):
        for order, element in enumerate(extracted or []):
            DataSetElement.objects.create(data_set=self, data_element=element, sort_order=order)

    @factory.post_generation
    def units(self, create, extracted, **kwargs):
        if extracted:
            self.org_units.set(extracted)
