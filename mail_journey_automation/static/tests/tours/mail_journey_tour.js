import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

function pickMany2one(fieldName, value) {
    return [
        {
            content: `Search ${value}`,
            trigger: `.modal .o_field_widget[name=${fieldName}] input`,
            run: `edit ${value}`,
        },
        {
            content: `Pick ${value}`,
            trigger: `.modal .o_field_widget[name=${fieldName}] .dropdown-item:contains('${value}')`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("mail_journey_create", {
    steps: () => [
        {
            content: "Create a journey",
            trigger: ".o-kanban-button-new",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Tour journey",
        },
        ...stepUtils.saveForm(),
        {
            content: "The steps can also be edited as a list",
            trigger: ".o_form_view .o_notebook a:contains('Steps (list)')",
            run: "click",
        },
        {
            content: "Add the first step",
            trigger: ".o_field_widget[name=step_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Name the first step",
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Tour welcome email",
        },
        ...pickMany2one("mail_template_id", "Tour welcome"),
        {
            content: "Save the first step",
            trigger: ".modal .o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "The first step is listed",
            trigger: "body:not(:has(.modal)) .o_field_widget[name=step_ids] td:contains('Tour welcome email')",
        },
        ...stepUtils.saveForm(),
        {
            content: "Add the second step",
            trigger: ".o_field_widget[name=step_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Name the second step",
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Tour reminder",
        },
        ...pickMany2one("parent_id", "Tour welcome email"),
        {
            content: "Open the trigger choices",
            trigger: ".modal .o_field_widget[name=trigger] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "Only if the welcome email was not opened",
            trigger: ".o_select_menu_menu .o_select_menu_item:contains('Previous email not opened')",
            run: "click",
        },
        {
            content: "Wait two days",
            trigger: ".modal .o_field_widget[name=interval_number] input",
            run: "edit 2",
        },
        ...pickMany2one("mail_template_id", "Tour welcome"),
        {
            content: "Save the second step",
            trigger: ".modal .o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "The second step is listed below the first",
            trigger: "body:not(:has(.modal)) .o_field_widget[name=step_ids] td:contains('Tour reminder')",
        },
        ...stepUtils.saveForm(),
        {
            content: "Start the journey",
            trigger: ".o_statusbar_buttons button[name=action_start]",
            run: "click",
        },
        {
            content: "The journey runs",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains('Running')",
        },
    ],
});

registry.category("web_tour.tours").add("mail_journey_enroll_lead", {
    steps: () => [
        {
            content: "Open the Journeys tab",
            trigger: ".o_form_view .o_notebook a:contains('Journeys')",
            run: "click",
        },
        {
            content: "Enroll the lead from its Journeys tab",
            trigger: ".o_form_view .o_notebook [name=journey_actions] button[name=action_journey_enroll]",
            run: "click",
        },
        ...pickMany2one("journey_id", "Tour journey"),
        {
            content: "Enroll",
            trigger: ".modal button[name=action_enroll]",
            run: "click",
        },
        {
            content: "The lead shows its journey",
            trigger: "body:not(:has(.modal)) .oe_stat_button:contains('Journeys')",
        },
        {
            content: "The next step is the welcome email",
            trigger: ".o_field_widget[name=journey_next_step_id]:contains('Tour welcome email')",
        },
    ],
});

registry.category("web_tour.tours").add("mail_journey_report", {
    steps: () => [
        {
            content: "The pivot report opens",
            trigger: ".o_pivot_view .o_pivot table",
        },
        {
            content: "with the journey as a row",
            trigger: ".o_pivot th:contains('Tour journey')",
        },
    ],
});
