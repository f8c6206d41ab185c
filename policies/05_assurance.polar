# Levels of assurance (LoA). Each means of login has its own scale; every purpose
# needs a minimum per means. Below it the person is asked to step up, never silently denied.

loa_rank("digid", "basis", 1);
loa_rank("digid", "midden", 2);
loa_rank("digid", "substantieel", 3);
loa_rank("digid", "hoog", 4);
loa_rank("eidas", "http://eidas.europa.eu/LoA/low", 1);
loa_rank("eidas", "http://eidas.europa.eu/LoA/substantial", 3);
loa_rank("eidas", "http://eidas.europa.eu/LoA/high", 4);
loa_rank("eherkenning", "EH2+", 2);
loa_rank("eherkenning", "EH3", 3);
loa_rank("eherkenning", "EH4", 4);

# Reading the mailbox: DigiD midden, eIDAS substantial, eHerkenning EH3.
minimum_loa("read_mailbox", "digid", 2);
minimum_loa("read_mailbox", "eidas", 3);
minimum_loa("read_mailbox", "eherkenning", 3);
# Changing settings and consents weighs the same as reading.
minimum_loa("manage_account", "digid", 2);
minimum_loa("manage_account", "eidas", 3);
minimum_loa("manage_account", "eherkenning", 3);
# Granting or approving a mandate: DigiD substantieel, eIDAS substantial.
minimum_loa("grant_mandate", "digid", 3);
minimum_loa("grant_mandate", "eidas", 3);
# Dividing an office's clients among its staff: EH3, as reading their post.
minimum_loa("manage_office", "eherkenning", 3);
# Requesting a mandate as a representative office: EH3.
minimum_loa("request_mandate", "digid", 3);
minimum_loa("request_mandate", "eidas", 3);
minimum_loa("request_mandate", "eherkenning", 3);

# Looking up the other party of a new mandate by BSN and date of birth, or by KvK number:
# the level of granting or requesting one, so a weaker login learns nothing about anyone.
minimum_loa("find_party", "digid", 3);
minimum_loa("find_party", "eidas", 3);
minimum_loa("find_party", "eherkenning", 3);
# Accepting, declining or revoking a mandate weighs as reading the post (granting by
# accepting a request also needs grant_mandate).
minimum_loa("answer_mandate", "digid", 2);
minimum_loa("answer_mandate", "eidas", 3);
minimum_loa("answer_mandate", "eherkenning", 3);

loa_sufficient(actor: PersonActor, purpose: String) if
  loa_rank(actor.means, actor.loa, rank) and
  minimum_loa(purpose, actor.means, needed) and
  rank >= needed;
loa_sufficient(actor: StaffActor, purpose: String) if
  loa_rank(actor.means, actor.loa, rank) and
  minimum_loa(purpose, actor.means, needed) and
  rank >= needed;
# The court-register feed is for the register's machine client only.
loa_sufficient(_actor: RegisterActor, "feed_register");

# The label of the lowest level that suffices, for the step-up message.
step_up_to(means: String, purpose: String, label: String) if
  minimum_loa(purpose, means, needed) and
  loa_rank(means, label, needed);
